import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Collects the reporter's output and serves a settable clock.
private final class Harness: @unchecked Sendable {
    private let lock = NSLock()
    private var _text = ""
    private var _now = 0.0
    var text: String { lock.withLock { _text } }
    var now: Double {
        get { lock.withLock { _now } }
        set { lock.withLock { _now = newValue } }
    }
    func write(_ s: String) { lock.withLock { _text += s } }

    func reporter(epochs: Int, batches: Int, style: ProgressReporter.Style,
                  interval: ProgressReporter.LineInterval = .epoch) -> ProgressReporter {
        ProgressReporter(totalEpochs: epochs, batchesPerEpoch: batches, style: style, lineInterval: interval, width: 200,
                         output: { self.write($0) }, clock: { self.now })
    }
}

@Suite struct ProgressReporterTests {
    @Test func plainLinesOnePerEpoch() {
        let h = Harness()
        var r = h.reporter(epochs: 2, batches: 4, style: .lines)
        for e in 1 ... 2 {
            for b in 1 ... 4 {
                h.now += 1
                r.update(epoch: e, batch: b, metrics: [("loss", 0.5 / Double(b))])
            }
            r.finishEpoch(e, metrics: [("loss", 0.125), ("accuracy", 0.875)])
        }
        #expect(h.text == """
            epoch 1/2 batch 4/4 loss 0.125 accuracy 0.875 elapsed 0:00:04 eta 0:00:04
            epoch 2/2 batch 4/4 loss 0.125 accuracy 0.875 elapsed 0:00:08 eta 0:00:00

            """)
        #expect(!h.text.contains("\r") && !h.text.contains("\u{1B}"))
    }

    @Test func plainLinesEveryNBatchesAndEverySeconds() {
        let h = Harness()
        var r = h.reporter(epochs: 1, batches: 6, style: .lines, interval: .batches(2))
        for b in 1 ... 6 { r.update(epoch: 1, batch: b) }
        r.finishEpoch(1)
        #expect(h.text.split(separator: "\n").map { String($0.prefix(17)) }
            == ["epoch 1/1 batch 2", "epoch 1/1 batch 4", "epoch 1/1 batch 6"])

        let h2 = Harness()
        var r2 = h2.reporter(epochs: 1, batches: 10, style: .lines, interval: .seconds(2.5))
        for b in 1 ... 10 {
            h2.now += 1
            r2.update(epoch: 1, batch: b)
        }
        r2.finishEpoch(1)
        // Lines after 3 s and 6 s and 9 s, plus the end of the epoch.
        #expect(h2.text.split(separator: "\n").count == 4)
    }

    @Test func terminalLineUpdatesInPlace() {
        let h = Harness()
        var r = h.reporter(epochs: 2, batches: 10, style: .terminal)
        h.now = 10
        r.update(epoch: 1, batch: 5, metrics: [("loss", 1.23456)])
        #expect(h.text == "\r[=====>              ]  25% epoch 1/2 batch 5/10 loss 1.235 | 0:00:10 elapsed, ETA 0:00:30\u{1B}[K")
        // Redraws are throttled.
        r.update(epoch: 1, batch: 6)
        #expect(!h.text.contains("batch 6/10"))
        h.now = 11
        r.update(epoch: 1, batch: 6)
        #expect(h.text.contains("batch 6/10"))
        r.log("validation accuracy 0.9")
        #expect(h.text.contains("\r\u{1B}[Kvalidation accuracy 0.9\n\r["))
        r.finishEpoch(1, metrics: [("accuracy", 0.5)])
        // One live line for the whole run: the epoch's end redraws it without a newline; `finish` ends it.
        #expect(h.text.hasSuffix("[==========>         ]  50% epoch 1/2 batch 10/10 accuracy 0.5 | 0:00:11 elapsed, ETA 0:00:11\u{1B}[K"))
        h.now = 12
        r.update(epoch: 2, batch: 1)
        #expect(h.text.hasSuffix("\u{1B}[K\r[===========>        ]  55% epoch 2/2 batch 1/10 | 0:00:12 elapsed, ETA 0:00:09\u{1B}[K"))
        r.finish()
        #expect(h.text.hasSuffix("\n") && h.text.filter { $0 == "\n" }.count == 2)
    }

    @Test func labelStartsEveryLineAndEpochLinesCanStay() {
        let h = Harness()
        var r = h.reporter(epochs: 2, batches: 1, style: .terminal)
        r.label = "stoch"
        r.keepsEpochLines = true
        r.finishEpoch(1, metrics: [("train_loss", 0.5)])
        r.finishEpoch(2, metrics: [("train_loss", 0.25)])
        let lines = h.text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasPrefix("\rstoch: [") })
        let h2 = Harness()
        var plain = h2.reporter(epochs: 1, batches: 1, style: .lines)
        plain.label = "det"
        plain.finishEpoch(1)
        #expect(h2.text.hasPrefix("det: epoch 1/1 batch 1/1"))
    }

    @Test func formatting() {
        #expect(ProgressReporter.formatDuration(3725.9) == "1:02:05")
        #expect(ProgressReporter.formatDuration(.nan) == "--:--:--")
        #expect(ProgressReporter.format(.nan) == "nan")
        #expect(ProgressReporter.format(123456) == "1.235e+05")
        // The line is cut to the width.
        let h = Harness()
        var r = ProgressReporter(totalEpochs: 1, batchesPerEpoch: 1, style: .terminal, width: 30,
                                 output: { h.write($0) }, clock: { 0 })
        r.update(epoch: 1, batch: 1, metrics: [("a_very_long_metric_name", 1)])
        #expect(h.text == "\r" + "[====================] 100% ep" .prefix(29) + "\u{1B}[K")
        // Wide enough for the timing: the metrics are cut, the timing stays.
        let h2 = Harness()
        var r2 = ProgressReporter(totalEpochs: 1, batchesPerEpoch: 1, style: .terminal, width: 80,
                                  output: { h2.write($0) }, clock: { 0 })
        r2.update(epoch: 1, batch: 1, metrics: [("a_very_long_metric_name", 1), ("another_long_metric_name", 2)])
        #expect(h2.text == "\r[====================] 100% epoch 1/1 batch 1/1  | 0:00:00 elapsed, ETA 0:00:00\u{1B}[K")
    }
}
