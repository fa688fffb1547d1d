import SpikeKit

// Data: 10 Randman classes over 100 input units, 100 steps of 2 ms; seeded split into 810/90/100 samples.
var randman = Randman.Configuration()
randman.units = 100
randman.samplesPerClass = 100
let (train, valid, test) = try RandmanDataset.generate(randman).split(seed: 1, validationFraction: 0.1, testFraction: 0.1)

// Network: 100 inputs -> 64 recurrent stochastic LIF neurons -> 10 readout units.
let spike = try SpikeFunction(escape: .sigmoid(beta: 10), surrogate: .superspike(beta: 10))
let network = NetworkDescription(dt: randman.dt, input: InputDescription(shape: [100]), layers: [
    LayerDescription(kind: .lif, units: 64, tauMem: 0.02, tauSyn: 0.01, recurrent: RecurrentDescription(kind: .dense), spike: spike),
    LayerDescription(kind: .readout, units: 10, tauMem: 0.2, tauSyn: 0.01),
])

// Training: cross-entropy on the readout's maximum over time, Adam, 10 epochs of batches of 25.
var trainer = try Trainer(network: network, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                          optimizer: Adam(learningRate: 1e-2), training: train, validation: valid, test: test,
                          configuration: TrainerConfiguration(epochs: 10, batchSize: 25, seed: 1))
try trainer.fit(callbacks: [ProgressCallback(name: "randman")])

// Evaluation on the test set (noise on), and the trained network saved as a checkpoint.
let result = try trainer.evaluate(on: test)!
print("test accuracy \(result.accuracy!), hidden layer \(result.rates[0]) Hz")
try trainer.checkpoint().save(to: "randman.safetensors")
