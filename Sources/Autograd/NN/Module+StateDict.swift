extension ModuleBase {
    /// Every parameter and buffer by name, in the order of PyTorch's `module.state_dict()`: what
    /// ``save(to:metadata:)`` writes and ``load(from:)`` reads.
    ///
    /// The tensors themselves, not copies (PyTorch's are detached aliases): writing into one
    /// writes into the module. PyTorch lists a module's own parameters, then its own buffers,
    /// then each submodule's entries the same way; here the submodules are the dotted prefixes of
    /// the names, in the order they first appear in ``namedParameters`` and then
    /// ``namedBuffers``, numeric ones (a ``Sequential``'s layers) in numeric order. A submodule
    /// that has only buffers and is listed before a sibling with parameters (a `BatchNorm` made
    /// with `affine: false`, first in a custom module) is therefore placed after it; the order
    /// only matters for reading the list, as files are keyed by name.
    ///
    /// ```swift
    /// let model = Sequential<Float>(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3),
    ///                               BatchNorm2d(numFeatures: 4), ReLU())
    /// print(model.stateDict.map(\.0))
    /// // ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"]
    /// ```
    public var stateDict: [(String, any TensorProtocol)] {
        let root = StateDictNode()
        for (name, tensor) in namedParameters { root.insert(name, tensor, isBuffer: false) }
        for (name, tensor) in namedBuffers { root.insert(name, tensor, isBuffer: true) }
        var out: [(String, any TensorProtocol)] = []
        root.append(to: &out)
        return out
    }
}

/// A module path of a state dict (`"features.1"`), with its own entries and its submodules in the
/// order they were first seen.
private final class StateDictNode {
    var parameters: [(String, any TensorProtocol)] = []
    var buffers: [(String, any TensorProtocol)] = []
    var childNames: [Substring] = []
    var children: [Substring: StateDictNode] = [:]

    func insert(_ name: String, _ tensor: any TensorProtocol, isBuffer: Bool) {
        var node = self
        for component in name.split(separator: ".", omittingEmptySubsequences: false).dropLast() {
            if let child = node.children[component] {
                node = child
            } else {
                let child = StateDictNode()
                node.children[component] = child
                node.childNames.append(component)
                node = child
            }
        }
        if isBuffer { node.buffers.append((name, tensor)) } else { node.parameters.append((name, tensor)) }
    }

    /// Own parameters, own buffers, then the submodules': PyTorch's `_save_to_state_dict` order.
    func append(to out: inout [(String, any TensorProtocol)]) {
        out += parameters
        out += buffers
        var names = childNames
        let indices = names.map { Int($0) }
        if !indices.contains(nil) {
            names = zip(names, indices).sorted { $0.1! < $1.1! }.map(\.0)
        }
        for name in names { children[name]!.append(to: &out) }
    }
}
