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

    /// <summary>
    /// False: the shipped set as is (no policy declares <c>cacheable</c>). True: the policies that read neither time nor
    /// decision id marked <c>cacheable: true</c>; the same 512 inputs come round again, so this is the all-hits bound of
    /// the outcome cache (<c>probe stream</c> measures the hit rate of a realistic stream).
    /// </summary>
    [Params(false, true)]
    public bool Cacheable { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _evaluator = new PolicyEvaluator(Cacheable ? BenchmarkInputs.LoadShippedCacheable() : BenchmarkInputs.LoadShipped(), new EvaluationOptions());
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
