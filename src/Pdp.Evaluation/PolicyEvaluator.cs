using System.Diagnostics;
using System.Text.Json.Nodes;
using Jint.Native;
using Microsoft.Extensions.ObjectPool;
using Pdp.Evaluation.Results;
using Pdp.Evaluation.Runtime;
using Pdp.Policies.Model;

namespace Pdp.Evaluation;

/// <summary>
/// Evaluates inputs against one <see cref="PolicySet"/>. Thread-safe: each call rents a pooled
/// sandbox engine (Jint engines are single-threaded), evaluates the policies that apply to the
/// action type, and combines their outcomes. A hot reload builds a new evaluator for the new set.
/// </summary>
public sealed class PolicyEvaluator
{
    private readonly EvaluationOptions _options;
    private readonly ObjectPool<PolicyRuntime> _runtimes;
    private readonly PolicyDispatchIndex _index;
    private readonly bool[] _cacheable;
    private readonly OutcomeCache? _cache;

    public PolicyEvaluator(PolicySet set, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        PolicySet = set;
        _options = options;
        _index = new PolicyDispatchIndex(set.Policies);
        _runtimes = new DefaultObjectPool<PolicyRuntime>(new RuntimePoolPolicy(set, options), options.MaxPooledEngines);
        _cacheable = [.. set.Policies.Select(p => p.Metadata.Cacheable)];

        // One cache per evaluator, i.e. per revision: a reload starts empty, and nothing outlives the set it came from.
        _cache = options.OutcomeCacheEntries > 0 && _cacheable.Any(c => c) ? new OutcomeCache(options.OutcomeCacheEntries) : null;
    }

    /// <summary>Outcome-cache hits and misses so far (zero without cacheable policies); for metrics and benchmarks.</summary>
    public (long Hits, long Misses) CacheCounts => _cache is null ? (0, 0) : (_cache.Hits, _cache.Misses);

    public PolicySet PolicySet { get; }

    /// <summary>Builds <paramref name="engines"/> engines up front so the first requests do not pay for them.</summary>
    public void WarmUp(int engines)
    {
        // Built side by side: each engine instantiates every module of the set (milliseconds per policy), engines share
        // nothing but the thread-safe prepared modules, and start-up waits for all of them.
        var rented = new PolicyRuntime[Math.Clamp(engines, 0, _options.MaxPooledEngines)];

        // A parsed JsonNode builds its children on first access, which is not thread-safe: walk the data once first.
        Materialize(PolicySet.Data);
        Parallel.For(0, rented.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => rented[i] = _runtimes.Get());

        foreach (var runtime in rented)
        {
            _runtimes.Return(runtime);
        }
    }

    /// <summary>The ids of the policies consulted for an action type, in evaluation order.</summary>
    public IEnumerable<string> PoliciesFor(string actionType) => _index.Match(actionType).Select(i => PolicySet.Policies[i].Id);

    public Decision Evaluate(EvaluationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var applicable = _index.Match(request.ActionType);
        var outcomes = new PolicyOutcome[applicable.Length];
        var remaining = applicable.Length;
        InputKey? key = null;
        if (_cache is not null)
        {
            var started = Stopwatch.GetTimestamp();
            var keyed = false;
            for (var i = 0; i < applicable.Length; i++)
            {
                if (!_cacheable[applicable[i]])
                {
                    continue;
                }

                if (!keyed)
                {
                    // Null for an input too large to be worth caching: then nothing is looked up or remembered.
                    key = OutcomeCache.KeyOf(request.Input);
                    keyed = true;
                }

                if (key is { } k && _cache.TryGet(applicable[i], k, out var hit))
                {
                    outcomes[i] = hit with { Elapsed = Stopwatch.GetElapsedTime(started) };
                    remaining--;
                }
            }
        }

        if (remaining > 0)
        {
            var runtime = _runtimes.Get();
            try
            {
                // Converted on first use: the full input for ordinary policies, the one without per-request facts for cacheable ones.
                JsValue? full = null;
                JsValue? timeless = null;
                for (var i = 0; i < applicable.Length; i++)
                {
                    if (outcomes[i] is not null)
                    {
                        continue;
                    }

                    if (runtime.Poisoned)
                    {
                        // The previous policy broke a limit; the rest run on a clean engine.
                        _runtimes.Return(runtime);
                        runtime = _runtimes.Get();
                        (full, timeless) = (null, null);
                    }

                    var policy = applicable[i];
                    if (_cacheable[policy])
                    {
                        timeless ??= runtime.PrepareTimeless(request.Input);
                        outcomes[i] = runtime.Evaluate(policy, timeless);
                        if (key is { } k)
                        {
                            _cache!.Remember(policy, k, outcomes[i]);
                        }
                    }
                    else
                    {
                        full ??= runtime.Prepare(request.Input, request.Time);
                        outcomes[i] = runtime.Evaluate(policy, full);
                    }
                }
            }
            finally
            {
                _runtimes.Return(runtime);
            }
        }

        return DecisionCombiner.Combine(outcomes, PolicySet, _options, request.ActionType);
    }

    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Materialize(child);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Materialize(item);
                }

                break;
        }
    }

    private sealed class RuntimePoolPolicy(PolicySet set, EvaluationOptions options) : IPooledObjectPolicy<PolicyRuntime>
    {
        public PolicyRuntime Create() => new(set, options.Sandbox);

        public bool Return(PolicyRuntime obj) => !obj.Poisoned;
    }
}
