import Arena

// MARK: - Conversion between element types: Tensor<Target>(source)

enum ToCopy: OpDefinition {
    static let name = "ToCopyBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// The gradient converted back to the source's type, sent across to the source's graph
    /// (Note [Conversions between graphs]); nothing flows inside this graph.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        if let grad = c.grad as? DenseTensor<V.Scalar> {
            let send = c.segment.with { $0.crossings[c.dim] }
            send(grad)
        } else {
            let send = c.segment.with { $0.recordedSends[c.dim] }
            send(c.grad as! Tensor<V.Scalar>)
        }
        return (nil, nil)
    }
}

extension Tensor {
    /// `source`'s elements as `Scalar`s, as PyTorch's `.to(dtype)` (`.float()`, `.double()`,
    /// `.long()`, `.bool()`) converts them: a float to `Int` truncates toward zero, anything
    /// nonzero (NaN too) is `true`, `true` is 1.
    ///
    /// Between `Float` and `Double` the conversion is differentiable (ToCopyBackward0: the
    /// gradient is converted back). An `Int` or `Bool` result never requires grad. Converting to
    /// the source's own type returns an alias of it (AliasBackward0 when it has history or
    /// requires grad): PyTorch returns the tensor itself, which an initializer can't.
    ///
    /// ```swift
    /// let x = Tensor<Float>([1.5, -2.7], requiresGrad: true)
    /// let y = Tensor<Double>(x)          // tensor([ 1.5000, -2.7000], dtype=float64, grad_fn=<ToCopyBackward0>)
    /// Tensor<Int>(x).scalars             // [1, -2]
    /// ```
    public convenience init<Source: TensorElement>(_ source: Tensor<Source>) {
        if let made = Self.differentiableConversion(of: source) {
            self.init(adopting: made)
        } else if Source.self == Scalar.self {
            self.init(data: source.data as! DenseTensor<Scalar>)   // shares storage, as an alias would
        } else {
            self.init(data: DenseTensor(converting: source.data))
        }
    }

    /// The conversion recorded, when both types are floating and `source` requires grad in grad
    /// mode: the generic parameters opened as ``TensorScalar``s, which recording needs.
    private static func differentiableConversion<Source: TensorElement>(of source: Tensor<Source>) -> Tensor? {
        guard source.requiresGrad, GradMode.isEnabled,
              let target = Scalar.self as? any TensorScalar.Type,
              let origin = Source.self as? any TensorScalar.Type else { return nil }
        func open<T: TensorScalar, U: TensorScalar>(_: T.Type, _: U.Type) -> AnyObject {
            Tensor<T>.recordedConversion(of: source as! Tensor<U>)
        }
        return (open(target, origin) as! Tensor)
    }

    /// A new object taking over `made`'s value, history and view state (an initializer can't
    /// return an object made elsewhere).
    convenience init(adopting made: Tensor) {
        if let history = made.history {
            self.init(data: made.data, history: history)
        } else {
            self.init(data: made.data, requiresGrad: made.leafRequiresGrad)
        }
        viewBase = made.viewBase
        viewVersion = made.viewVersion
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `source` converted, recorded: an alias of it for its own type, else a ToCopy node whose
    /// gradient crosses to `source`'s graph.
    static func recordedConversion<Source: TensorScalar>(of source: Tensor<Source>) -> Tensor {
        if let same = source as? Tensor { return same.aliased() }
        let value = DenseTensor<Scalar>(converting: source.data)
        return recordCrossing(value, op: ToCopy.self, send: { grad in
            ThreadContext.current.sendAcross(DenseTensor<Source>(converting: grad), to: source)
        }, sendRecorded: { grad in
            // Recorded too (the recorded sweep runs in grad mode): a ToCopy node in the source's graph.
            ThreadContext.current.sendAcrossRecorded(Tensor<Source>(grad), to: source)
        })
    }
}
