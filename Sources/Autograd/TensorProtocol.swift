/// A ``Tensor`` of any element type, for lists that mix element types: a module's buffers and
/// its state dict (``ModuleBase/namedBuffers``, ``ModuleBase/stateDict``).
///
/// PyTorch has one tensor type and a `dtype` per tensor, so a state dict holds a batch norm's
/// `float32` running statistics beside its `int64` `num_batches_tracked`. Here the element type
/// is part of the tensor's type, and these lists hold `any TensorProtocol`; cast an element back
/// to read it as a tensor of its type. Only ``Tensor`` conforms.
///
/// ```swift
/// let bn = BatchNorm1d<Float>(numFeatures: 4)
/// for (name, buffer) in bn.namedBuffers {
///     if let stats = buffer as? Tensor<Float> { print(name, stats.scalars) }   // running_mean, running_var
///     if let count = buffer as? Tensor<Int> { print(name, count.scalars) }     // num_batches_tracked [0]
/// }
/// ```
public protocol TensorProtocol<Scalar>: AnyObject, CustomStringConvertible {
    /// The element type (`Float`, `Double`, `Int`, `Bool`).
    associatedtype Scalar: TensorElement
    /// The size of each dimension; `[]` for a 0-d tensor.
    var shape: [Int] { get }
    /// The values (shared with the tensor: writing into them writes into the tensor).
    var data: DenseTensor<Scalar> { get }
}

extension Tensor: TensorProtocol {}
