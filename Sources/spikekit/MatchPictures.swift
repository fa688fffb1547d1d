import Foundation
import SpikeKit

/// The pictures of a spike-train-matching run: rasters of input, target and output before and after training.
enum MatchPictures {
    /// Pixels per raster cell.
    static let scale = 3

    /// Writes `input.png`, `target.png`, and for the variant `name`: `<name>-output-initial.png`,
    /// `<name>-output-final.png` (first trial; output black, target light red, both dark red).
    static func write(experiment exp: SpikeTrainMatching, name: String, initial: [[Float]], final: [[Float]], folder: String) throws {
        let input = exp.input.raster
        try RasterPicture(neurons: exp.input.units, steps: exp.steps, spikes: input, scale: scale).write(path: folder + "/input.png")
        try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: exp.target, scale: scale).write(path: folder + "/target.png")
        try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: initial[0], overlay: exp.target, scale: scale)
            .write(path: folder + "/\(name)-output-initial.png")
        try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: final[0], overlay: exp.target, scale: scale)
            .write(path: folder + "/\(name)-output-final.png")
        try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: final[0], scale: scale)
            .write(path: folder + "/\(name)-output-final-alone.png")
    }
}
