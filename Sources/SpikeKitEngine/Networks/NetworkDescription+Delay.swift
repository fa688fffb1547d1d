import SpikeKitFormats
import SpikeKitKernels

/// Synaptic delays for a whole network (docs/ModelFormat.md, "Synaptic delays").
extension NetworkDescription {
    /// The delay that reproduces stork's timing (fmi-basel/stork): each step stork first updates every neuron group
    /// from the input its connections delivered in the previous step (syn[t+1] = λ_s syn[t] + input), and only then
    /// do the connections carry the groups' new spikes to their targets, which read them one step later. A spike of
    /// step n therefore reaches the synaptic current as I[n+2] = λ_s I[n+1] + W·S[n], one step more than SpikeKit's
    /// I[n+1] = λ_s I[n] + W·S[n]: d = 2 on every connection, feed-forward and recurrent.
    public static let storkDelay = 2

    /// The description with delay `d` (steps) on every connection: each layer's feed-forward connection and each
    /// recurrent connection. `d` = 1 is the default timing, `storkDelay` stork's.
    public func settingDelays(_ d: Int) -> NetworkDescription {
        var out = self
        for i in out.layers.indices {
            out.layers[i].delay = d
            if out.layers[i].recurrent != nil { out.layers[i].recurrent!.delay = d }
        }
        return out
    }
}
