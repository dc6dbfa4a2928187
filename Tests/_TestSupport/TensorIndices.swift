import Autograd

/// The index items of the step language (Tests/Fixtures/README.md, "Index items") as the Swift
/// subscript takes them: `n` → `n`, `{"range": [a, b]}` → `a..<b`, `{"closedRange": [a, b]}` →
/// `a...b`, `{"from": a}` → `a...`, `{"upTo": b}` → `..<b`, `{"through": b}` → `...b`, `"all"`,
/// `"ellipsis"`, `"newAxis"` → `.all`, `.ellipsis`, `.newAxis`, `{"stride": [a, b], "by": s}` →
/// `.stride(a..<b, by: s)`, and `{"tensor": name}` → `tensors[name]` (a `Tensor<Int>` or
/// `Tensor<Bool>`). `nil` when a tensor item names none of `tensors`.
public func tensorIndices(fromJSON items: [Any], tensors: [String: any TensorIndexExpression] = [:]) -> [any TensorIndexExpression]? {
    var out: [any TensorIndexExpression] = []
    for item in items {
        if let n = item as? Int {
            out.append(n)
            continue
        }
        if let name = item as? String {
            switch name {
            case "all": out.append(.all)
            case "ellipsis": out.append(.ellipsis)
            case "newAxis": out.append(.newAxis)
            default: preconditionFailure("unknown index item \(name)")
            }
            continue
        }
        let d = item as! [String: Any]
        if let name = d["tensor"] as? String {
            guard let tensor = tensors[name] else { return nil }
            out.append(tensor)
            continue
        }
        if let r = d["range"] as? [Int] {
            out.append(r[0]..<r[1])
        } else if let r = d["closedRange"] as? [Int] {
            out.append(r[0]...r[1])
        } else if let a = d["from"] as? Int {
            out.append(a...)
        } else if let b = d["upTo"] as? Int {
            out.append(..<b)
        } else if let b = d["through"] as? Int {
            out.append(...b)
        } else if let r = d["stride"] as? [Int] {
            out.append(.stride(r[0]..<r[1], by: d["by"] as! Int))
        } else {
            preconditionFailure("unknown index item \(d)")
        }
    }
    return out
}

extension Tensor where Scalar: TensorScalar {
    /// `self[indices]` with the indices as an array (a variadic subscript can't take one).
    public func subscripted(_ indices: [any TensorIndexExpression]) -> Tensor {
        switch indices.count {
        case 0: return self[]
        case 1: return self[indices[0]]
        case 2: return self[indices[0], indices[1]]
        case 3: return self[indices[0], indices[1], indices[2]]
        case 4: return self[indices[0], indices[1], indices[2], indices[3]]
        case 5: return self[indices[0], indices[1], indices[2], indices[3], indices[4]]
        default: preconditionFailure("at most 5 indices")
        }
    }

    /// `self[indices] = value` with the indices as an array.
    public func setSubscript(_ indices: [any TensorIndexExpression], _ value: Tensor) {
        switch indices.count {
        case 0: self[] = value
        case 1: self[indices[0]] = value
        case 2: self[indices[0], indices[1]] = value
        case 3: self[indices[0], indices[1], indices[2]] = value
        case 4: self[indices[0], indices[1], indices[2], indices[3]] = value
        case 5: self[indices[0], indices[1], indices[2], indices[3], indices[4]] = value
        default: preconditionFailure("at most 5 indices")
        }
    }

    /// `self[indices] = value` (the `Scalar` setter) with the indices as an array.
    public func setSubscript(_ indices: [any TensorIndexExpression], _ value: Scalar) {
        switch indices.count {
        case 0: self[] = value
        case 1: self[indices[0]] = value
        case 2: self[indices[0], indices[1]] = value
        case 3: self[indices[0], indices[1], indices[2]] = value
        case 4: self[indices[0], indices[1], indices[2], indices[3]] = value
        case 5: self[indices[0], indices[1], indices[2], indices[3], indices[4]] = value
        default: preconditionFailure("at most 5 indices")
        }
    }
}
