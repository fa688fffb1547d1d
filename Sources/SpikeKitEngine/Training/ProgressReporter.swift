import SpikeKitFormats
import SpikeKitKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reports training progress on standard output.
///
/// On a terminal (`isatty(1)`) it keeps one live line up to date, redrawn at most `redrawInterval` seconds apart:
/// ```
/// stoch: [=========>          ]  47% epoch 3/7 batch 12/20 train_loss 0.4321 | 0:01:02 elapsed, ETA 0:01:10
/// ```
/// through all epochs (with `keepsEpochLines` the final line of each epoch stays instead, one line per epoch);
/// messages from `log(_:)` appear above it. `label` (for example the network's name) starts every line.
/// When standard output is not a terminal (a log file, a pipe, CI) it writes plain lines instead, without
/// carriage returns or escape codes: one per epoch, or one every n batches or every t seconds (`LineInterval`).
///
/// Progress counts batches: after batch b (1-based) of epoch e (1-based) of E epochs of B batches,
/// done = (e - 1) B + b of E B, the fraction is done / (E B), and the ETA extrapolates the elapsed time linearly:
/// ETA = elapsed · (E B - done) / done.
public struct ProgressReporter: Sendable {
    /// How the progress is shown.
    public enum Style: Sendable, Equatable {
        /// `terminal` when standard output is a terminal, else `lines`.
        case automatic
        /// One line, updated in place with a carriage return.
        case terminal
        /// Plain lines, one per report.
        case lines
    }

    /// When a plain line is written in `lines` style (the end of every epoch is always reported).
    public enum LineInterval: Sendable, Equatable {
        /// Once per epoch.
        case epoch
        /// Also after every n-th batch of an epoch.
        case batches(Int)
        /// Also after a batch when at least this many seconds have passed since the last line.
        case seconds(Double)
    }

    /// The number of epochs of the run, E.
    public let totalEpochs: Int
    /// The number of batches per epoch, B.
    public let batchesPerEpoch: Int
    /// The resolved style (`terminal` or `lines`).
    public let style: Style
    /// When plain lines are written.
    public let lineInterval: LineInterval
    /// The shortest time between two redraws of the terminal line, in seconds.
    public var redrawInterval: Double = 0.1
    /// The width of the terminal line in characters (longer lines are cut).
    public let width: Int
    /// Starts every line as `label: ` (for example "det" or "stoch", the network the progress belongs to).
    public var label: String?
    /// On a terminal, leave each epoch's final line in place instead of one live line for the whole run.
    public var keepsEpochLines = false

    private let output: @Sendable (String) -> Void
    private let clock: @Sendable () -> Double
    private let start: Double
    private var lastDraw = -Double.infinity
    private var lastLine: Double
    private var lineOpen = false
    private var current: (epoch: Int, batch: Int, metrics: [(name: String, value: Double)])?

    /// A reporter for `totalEpochs` epochs of `batchesPerEpoch` batches.
    /// - Parameters:
    ///   - style: `automatic` picks `terminal` when standard output is a terminal.
    ///   - lineInterval: when plain lines are written in `lines` style.
    ///   - width: the terminal line's width; by default `COLUMNS`, else the terminal's width, else 100.
    ///   - output: where the text goes (standard output, flushed, by default).
    ///   - clock: seconds from a fixed origin (a monotonic clock by default).
    public init(totalEpochs: Int, batchesPerEpoch: Int, style: Style = .automatic, lineInterval: LineInterval = .epoch,
                width: Int? = nil, output: @escaping @Sendable (String) -> Void = ProgressReporter.standardOutput,
                clock: @escaping @Sendable () -> Double = ProgressReporter.monotonicClock()) {
        self.totalEpochs = max(totalEpochs, 1)
        self.batchesPerEpoch = max(batchesPerEpoch, 1)
        self.style = style == .automatic ? (ProgressReporter.standardOutputIsTerminal ? .terminal : .lines) : style
        self.lineInterval = lineInterval
        self.width = max(width ?? ProgressReporter.terminalWidth(), 20)
        self.output = output
        self.clock = clock
        start = clock()
        lastLine = start
    }

    /// Reports that batch `batch` (1-based) of epoch `epoch` (1-based) is done, with the running metrics (shown in
    /// the given order).
    public mutating func update(epoch: Int, batch: Int, metrics: [(name: String, value: Double)] = []) {
        current = (epoch, batch, metrics)
        let now = clock()
        switch style {
        case .terminal, .automatic:
            guard now - lastDraw >= redrawInterval else { return }
            lastDraw = now
            output("\r" + clipped(terminalLine(epoch: epoch, batch: batch, metrics: metrics, now: now)) + "\u{1B}[K")
            lineOpen = true
        case .lines:
            let due: Bool
            switch lineInterval {
            case .epoch: due = false
            case .batches(let n): due = n > 0 && batch % n == 0 && batch < batchesPerEpoch
            case .seconds(let t): due = now - lastLine >= t && batch < batchesPerEpoch
            }
            if due {
                lastLine = now
                output(plainLine(epoch: epoch, batch: batch, metrics: metrics, now: now) + "\n")
            }
        }
    }

    /// Reports the end of epoch `epoch` (1-based) with its final metrics (for example training loss, validation
    /// accuracy): always written, as a line that stays.
    public mutating func finishEpoch(_ epoch: Int, metrics: [(name: String, value: Double)] = []) {
        let now = clock()
        current = nil
        switch style {
        case .terminal, .automatic:
            output("\r" + clipped(terminalLine(epoch: epoch, batch: batchesPerEpoch, metrics: metrics, now: now)) + "\u{1B}[K"
                   + (keepsEpochLines ? "\n" : ""))
            lineOpen = !keepsEpochLines
            if lineOpen { current = (epoch, batchesPerEpoch, metrics) }
            lastDraw = keepsEpochLines ? -Double.infinity : now
        case .lines:
            lastLine = now
            output(plainLine(epoch: epoch, batch: batchesPerEpoch, metrics: metrics, now: now) + "\n")
        }
    }

    /// Writes a message on its own line without breaking the progress line (on a terminal the progress line is
    /// cleared, the message written, and the progress line redrawn).
    public mutating func log(_ message: String) {
        if style == .terminal, lineOpen {
            output("\r\u{1B}[K" + message + "\n")
            if let c = current {
                output("\r" + clipped(terminalLine(epoch: c.epoch, batch: c.batch, metrics: c.metrics, now: clock())) + "\u{1B}[K")
            }
        } else {
            output(message + "\n")
        }
    }

    /// Ends an open terminal line (call once after the last epoch if it was not finished with `finishEpoch`).
    public mutating func finish() {
        if style == .terminal, lineOpen { output("\n") }
        lineOpen = false
    }

    // MARK: - Rendering

    /// The fraction of batches done, in [0, 1].
    func fraction(epoch: Int, batch: Int) -> Double {
        let done = Double((epoch - 1) * batchesPerEpoch + batch)
        return min(max(done / Double(totalEpochs * batchesPerEpoch), 0), 1)
    }

    /// "epoch e/E batch b/B name value ...".
    func position(epoch: Int, batch: Int, metrics: [(name: String, value: Double)]) -> String {
        var s = "epoch \(epoch)/\(totalEpochs) batch \(batch)/\(batchesPerEpoch)"
        for m in metrics { s += " \(m.name) \(Self.format(m.value))" }
        return s
    }

    /// "elapsed h:mm:ss, ETA h:mm:ss".
    func timing(epoch: Int, batch: Int, now: Double) -> (elapsed: String, eta: String) {
        let elapsed = max(now - start, 0)
        let f = fraction(epoch: epoch, batch: batch)
        let eta = f > 0 ? elapsed * (1 - f) / f : Double.nan
        return (Self.formatDuration(elapsed), Self.formatDuration(eta))
    }

    func terminalLine(epoch: Int, batch: Int, metrics: [(name: String, value: Double)], now: Double) -> String {
        let f = fraction(epoch: epoch, batch: batch)
        let barWidth = 20
        let filled = Int((f * Double(barWidth)).rounded(.down))
        var bar = String(repeating: "=", count: filled)
        if filled < barWidth { bar += ">" + String(repeating: " ", count: barWidth - filled - 1) }
        let percent = String(Int((f * 100).rounded(.down)))
        let t = timing(epoch: epoch, batch: batch, now: now)
        let head = prefix + "[\(bar)] \(String(repeating: " ", count: max(0, 3 - percent.count)))\(percent)% "
            + position(epoch: epoch, batch: batch, metrics: metrics)
        let tail = " | \(t.elapsed) elapsed, ETA \(t.eta)"
        // Too wide: shorten the metrics, keep the timing.
        let room = width - 1 - tail.count
        if head.count + tail.count >= width, room >= 30 { return String(head.prefix(room)) + tail }
        return head + tail
    }

    func plainLine(epoch: Int, batch: Int, metrics: [(name: String, value: Double)], now: Double) -> String {
        let t = timing(epoch: epoch, batch: batch, now: now)
        return prefix + position(epoch: epoch, batch: batch, metrics: metrics) + " elapsed \(t.elapsed) eta \(t.eta)"
    }

    /// `label: `, or nothing.
    var prefix: String { label.map { $0 + ": " } ?? "" }

    private func clipped(_ line: String) -> String {
        line.count < width ? line : String(line.prefix(width - 1))
    }

    /// A metric value with 4 significant digits (`%.4g`): 0.4321, 12.35, 1.235e+05, nan.
    public static func format(_ value: Double) -> String {
        String(format: "%.4g", value)
    }

    /// Seconds as `h:mm:ss` (`--:--:--` when unknown or negative).
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 3.6e9 else { return "--:--:--" }
        let s = Int(seconds.rounded(.down))
        let h = s / 3600, m = (s / 60) % 60, r = s % 60
        return "\(h):\(m < 10 ? "0" : "")\(m):\(r < 10 ? "0" : "")\(r)"
    }

    // MARK: - Standard output

    /// Whether standard output (file descriptor 1) is a terminal.
    public static var standardOutputIsTerminal: Bool { isatty(1) != 0 }

    /// Writes to standard output through the same buffer as `print`, then flushes it (a line without a newline
    /// must reach the terminal).
    public static let standardOutput: @Sendable (String) -> Void = { text in
        print(text, terminator: "")
        fflush(nil)
    }

    /// A monotonic clock in seconds, counting from the call.
    public static func monotonicClock() -> @Sendable () -> Double {
        let origin = ContinuousClock.now
        return {
            let d = ContinuousClock.now - origin
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
    }

    /// `COLUMNS` when set, else the width of the terminal on standard output, else 100.
    static func terminalWidth() -> Int {
        if let c = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(c), n > 0 { return n }
        var size = winsize()
        if withUnsafeMutablePointer(to: &size, { ioctl(1, UInt(TIOCGWINSZ), $0) }) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 100
    }
}
