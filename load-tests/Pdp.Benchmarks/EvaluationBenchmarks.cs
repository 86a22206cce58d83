using BenchmarkDotNet.Attributes;
using Pdp.Evaluation;

namespace Pdp.Benchmarks;

/// <summary>
/// <see cref="PolicyEvaluator.Evaluate"/> alone over the shipped set: per decision (each invocation evaluates all
/// <see cref="BenchmarkInputs.Count"/> inputs once, reported per input). One thread, as one request sees it.
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks
{
    private PolicyEvaluator _evaluator = null!;
    private EvaluationRequest[] _inputs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _evaluator = new PolicyEvaluator(BenchmarkInputs.LoadShipped(), new EvaluationOptions());
        _evaluator.WarmUp(1);
        _inputs = BenchmarkInputs.Evaluations(BenchmarkInputs.Requests());
    }

    [Benchmark(OperationsPerInvoke = BenchmarkInputs.Count)]
    public int EvaluateMix()
    {
        var denies = 0;
        foreach (var input in _inputs)
        {
            denies += _evaluator.Evaluate(input).Verdict == Pdp.Evaluation.Results.Verdict.Deny ? 1 : 0;
        }

        return denies;
    }
}
