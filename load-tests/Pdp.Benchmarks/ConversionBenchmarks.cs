using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Pdp.Contracts.V1;
using Pdp.Policies.Sandbox;
using Pdp.Server.Decisions;

namespace Pdp.Benchmarks;

/// <summary>
/// Input conversion, per input: the request message into the <c>input</c> document (<see cref="DecisionInputBuilder"/>,
/// plus the server facts and <see cref="Pdp.Evaluation.Testing.InputDocument.Complete"/> as the server's decision path adds them),
/// and that document into frozen engine values (<see cref="SandboxEngine.ToFrozenValue"/>).
/// </summary>
[MemoryDiagnoser]
public class ConversionBenchmarks
{
    private DecideRequest[] _requests = null!;
    private JsonObject[] _documents = null!;
    private SandboxEngine _engine = null!;
    private readonly DecisionInputBuilder _builder = new(20);

    [GlobalSetup]
    public void Setup()
    {
        _requests = BenchmarkInputs.Requests();
        _documents = [.. BenchmarkInputs.Evaluations(_requests).Select(e => e.Input)];
        _engine = new SandboxEngine(new SandboxOptions());
    }

    [Benchmark(OperationsPerInvoke = BenchmarkInputs.Count)]
    public int RequestToDocument()
    {
        var n = 0;
        var now = DateTimeOffset.UtcNow;
        foreach (var request in _requests)
        {
            n += BenchmarkInputs.WithServerFacts(_builder.Build(request), now).Count;
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = BenchmarkInputs.Count)]
    public int DocumentToFrozenValue()
    {
        var n = 0;
        foreach (var document in _documents)
        {
            n += _engine.ToFrozenValue(document) is Jint.Native.Object.ObjectInstance ? 1 : 0;
        }

        return n;
    }
}
