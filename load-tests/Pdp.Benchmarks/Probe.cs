using System.Diagnostics;
using System.Globalization;
using Pdp.Evaluation;

namespace Pdp.Benchmarks;

/// <summary>
/// <c>probe</c>: a quick Stopwatch breakdown of evaluation by action type over the benchmark inputs (after a warm-up),
/// with the number of methods the JIT compiled meanwhile: a steady state compiles none.
/// </summary>
public static class Probe
{
    /// <summary>
    /// <c>probe stream N [--cacheable]</c>: N fresh units of the load generator's Decide mix, each evaluated once, as a
    /// server would see them (25% repeated inputs, the rest mostly distinct), with the outcome cache's hit rate.
    /// <c>--cacheable</c> loads the shipped policies that do not read the time as <c>cacheable: true</c>.
    /// </summary>
    /// <summary>
    /// <c>probe startup N</c>: the start-up work of the policy layer for N policies (the shipped ones copied under new
    /// ids, as load-tests/startup-time.sh generates them): reading and loading the set, then building the warm engines.
    /// </summary>
    public static void Startup(int count)
    {
        var shipped = new Pdp.Policies.Loading.DirectoryPolicySource(BenchmarkInputs.PolicyDirectory).Read();
        var policies = Enumerable.Range(0, count).Select(i =>
        {
            var source = shipped.Policies[i % shipped.Policies.Count];
            var content = System.Text.RegularExpressions.Regex.Replace(source.Content, "^  id: \"([^\"]+)\"", m => $"  id: \"{m.Groups[1].Value}-{i}\"", System.Text.RegularExpressions.RegexOptions.Multiline);
            return new Pdp.Policies.Loading.SourceFile(string.Create(CultureInfo.InvariantCulture, $"p{i:000}.js"), content);
        }).ToArray();
        var snapshot = shipped with { Policies = policies, TestFiles = [] };
        for (var run = 0; run < 3; run++)
        {
            var started = Stopwatch.GetTimestamp();
            var set = new Pdp.Policies.Loading.PolicySetLoader(new Pdp.Policies.Sandbox.SandboxOptions()).Load(snapshot);
            var loaded = Stopwatch.GetElapsedTime(started);
            var evaluator = new PolicyEvaluator(set, new EvaluationOptions());
            evaluator.WarmUp(Math.Min(Environment.ProcessorCount, new EvaluationOptions().MaxPooledEngines));
            var warmed = Stopwatch.GetElapsedTime(started) - loaded;
            var one = Stopwatch.GetTimestamp();
            new PolicyEvaluator(set, new EvaluationOptions()).WarmUp(1);
            var single = Stopwatch.GetElapsedTime(one);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {run + 1}: {set.Policies.Count} policies loaded in {loaded.TotalMilliseconds:0} ms, {Math.Min(Environment.ProcessorCount, new EvaluationOptions().MaxPooledEngines)} engines warmed in {warmed.TotalMilliseconds:0} ms (one engine alone: {single.TotalMilliseconds:0} ms)"));
        }
    }

    public static void Stream(int units, bool cacheable)
    {
        var set = cacheable ? BenchmarkInputs.LoadShippedCacheable() : BenchmarkInputs.LoadShipped();
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());
        var inputs = BenchmarkInputs.Evaluations(BenchmarkInputs.StreamRequests(units, seed: 2));
        var warm = BenchmarkInputs.Evaluations(BenchmarkInputs.StreamRequests(20_000, seed: 3));
        foreach (var input in warm)
        {
            evaluator.Evaluate(input);
        }

        var before = evaluator.CacheCounts;
        var times = new double[inputs.Length];
        var total = Stopwatch.GetTimestamp();
        for (var i = 0; i < inputs.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            evaluator.Evaluate(inputs[i]);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        var elapsed = Stopwatch.GetElapsedTime(total);
        var after = evaluator.CacheCounts;
        Array.Sort(times);
        var lookups = (after.Hits - before.Hits) + (after.Misses - before.Misses);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{units} fresh units ({(cacheable ? "cacheable policies marked" : "shipped as is")}): median {times[units / 2]:0.0} µs, p90 {times[(int)(units * 0.9)]:0.0} µs, p99 {times[(int)(units * 0.99)]:0.0} µs, mean {elapsed.TotalMicroseconds / units:0.0} µs; cache hits {after.Hits - before.Hits} of {lookups} lookups"));
    }

    public static void Run(int rounds, bool trivial = false)
    {
        var set = trivial
            ? new Pdp.Policies.Loading.PolicySetLoader(new Pdp.Policies.Sandbox.SandboxOptions()).Load(new Pdp.Policies.Loading.PolicySourceSnapshot(
                "inline",
                [new Pdp.Policies.Loading.SourceFile("trivial.js", "export const policy = { id: \"trivial\", owner: \"o\", applies_to: [\"*\"] };\nexport function decide(input, data) { return undefined; }\n")],
                [],
                [],
                []))
            : BenchmarkInputs.LoadShipped();
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());
        var inputs = BenchmarkInputs.Evaluations(BenchmarkInputs.Requests());
        for (var i = 0; i < 20; i++)
        {
            foreach (var input in inputs)
            {
                evaluator.Evaluate(input);
            }
        }

        var jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        var byType = new Dictionary<string, (long Ticks, int Count)>(StringComparer.Ordinal);
        var all = new List<double>();
        var blockStart = Stopwatch.GetTimestamp();
        for (var r = 0; r < rounds; r++)
        {
            if (r > 0 && r % 20 == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  rounds {r - 20}-{r}: {Stopwatch.GetElapsedTime(blockStart).TotalMicroseconds / (20.0 * inputs.Length):0.0} µs per evaluation, gen0/1/2 collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, heap {GC.GetTotalMemory(false) / 1048576} MB"));
                blockStart = Stopwatch.GetTimestamp();
            }

            foreach (var input in inputs)
            {
                var started = Stopwatch.GetTimestamp();
                evaluator.Evaluate(input);
                var elapsed = Stopwatch.GetTimestamp() - started;
                var (ticks, count) = byType.GetValueOrDefault(input.ActionType);
                byType[input.ActionType] = (ticks + elapsed, count + 1);
                all.Add(elapsed * 1e6 / Stopwatch.Frequency);
            }
        }

        var jitAfter = System.Runtime.JitInfo.GetCompiledMethodCount();
        all.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{all.Count} evaluations: median {all[all.Count / 2]:0.0} µs, p90 {all[(int)(all.Count * 0.9)]:0.0} µs, p99 {all[(int)(all.Count * 0.99)]:0.0} µs, mean {all.Average():0.0} µs; methods JIT-compiled meanwhile: {jitAfter - jitBefore}"));
        foreach (var (type, (ticks, count)) in byType.OrderByDescending(kv => kv.Value.Ticks / (double)kv.Value.Count))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {type,-24} {count,7} x {ticks * 1e6 / Stopwatch.Frequency / count,8:0.0} µs"));
        }
    }
}
