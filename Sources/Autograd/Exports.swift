// `import Autograd` gives the whole public API, the numeric core included (API.md).
@_exported import TensorCore
