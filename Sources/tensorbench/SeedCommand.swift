import ArgumentParser
import Autograd

/// `tensorbench seed`: PyTorch's autograd tutorial, step by step, with the same printed output.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed", abstract: "Run PyTorch's autograd tutorial in Swift and print each step.")

    func run() throws {
        /// Echoes the Swift that runs next, one `>>> ` line per source line, the way a REPL shows
        /// what it runs; the output follows. Each string is the source line below it, character for
        /// character (SeedDemoTests checks), so that the transcript can be pasted and run.
        func step(_ lines: String...) {
            print()
            for line in lines { print(">>> \(line)") }
        }

        step("let x = Tensor<Float>.ones([2, 2], requiresGrad: true)", "print(x)")
        let x = Tensor<Float>.ones([2, 2], requiresGrad: true)
        print(x)

        step("let y = x + 2", "print(y)")
        let y = x + 2
        print(y)
        step("print(y.gradFn!)")
        print(y.gradFn!)

        step("let z = y * y * 3", "let out = z.mean()", "print(z, out)")
        let z = y * y * 3
        let out = z.mean()
        print(z, out)

        step("var a = try Tensor<Float>([[2, -1], [0.5, 3]])", "a = (a * 3) / (a - 1)", "print(a.requiresGrad)")
        var a = try Tensor<Float>([[2, -1], [0.5, 3]])
        a = (a * 3) / (a - 1)
        print(a.requiresGrad)
        step("a.requiresGrad = true", "print(a.requiresGrad)")
        a.requiresGrad = true
        print(a.requiresGrad)
        step("let b = (a * a).sum()", "print(b.gradFn!)")
        let b = (a * a).sum()
        print(b.gradFn!)

        step("try out.backward()", "print(x.grad!)")
        try out.backward()
        print(x.grad!)
        step("print(y.grad as Any)   // a non-leaf keeps no gradient")
        print(y.grad as Any)   // a non-leaf keeps no gradient

        step(#"do { try out.backward() } catch { print("AutogradError:", error) }   // the first backward freed the graph"#)
        do { try out.backward() } catch { print("AutogradError:", error) }   // the first backward freed the graph

        step(
            "Tensor<Float>.manualSeed(0)",
            "let w = Tensor<Float>.randn([3], requiresGrad: true)",
            "var v = w * 2",
            "while (v * v).sum().sqrt().scalar! < 1000 { v = v * 2 }",
            "print(v)")
        Tensor<Float>.manualSeed(0)
        let w = Tensor<Float>.randn([3], requiresGrad: true)
        var v = w * 2
        while (v * v).sum().sqrt().scalar! < 1000 { v = v * 2 }
        print(v)
        step("try v.backward(gradient: Tensor<Float>([0.1, 1.0, 0.0001]))", "print(w.grad!)")
        try v.backward(gradient: Tensor<Float>([0.1, 1.0, 0.0001]))
        print(w.grad!)

        step("print(x.pow(2).requiresGrad)")
        print(x.pow(2).requiresGrad)
        step("print(withNoGrad { x.pow(2).requiresGrad })")
        print(withNoGrad { x.pow(2).requiresGrad })

        step("let d = x.detached()", "print(d.requiresGrad, d.scalars == x.scalars)")
        let d = x.detached()
        print(d.requiresGrad, d.scalars == x.scalars)

        step("print(currentGraphStats())")
        print(currentGraphStats())
    }
}
