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

    public PolicyEvaluator(PolicySet set, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        PolicySet = set;
        _options = options;
        _index = new PolicyDispatchIndex(set.Policies);
        _runtimes = new DefaultObjectPool<PolicyRuntime>(new RuntimePoolPolicy(set, options), options.MaxPooledEngines);
    }

    public PolicySet PolicySet { get; }

    /// <summary>Builds <paramref name="engines"/> engines up front so the first requests do not pay for them.</summary>
    public void WarmUp(int engines)
    {
        var rented = new PolicyRuntime[Math.Clamp(engines, 0, _options.MaxPooledEngines)];
        for (var i = 0; i < rented.Length; i++)
        {
            rented[i] = _runtimes.Get();
        }

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
        if (applicable.Length > 0)
        {
            var runtime = _runtimes.Get();
            try
            {
                var input = runtime.Prepare(request.Input, request.Time);
                for (var i = 0; i < applicable.Length; i++)
                {
                    if (runtime.Poisoned)
                    {
                        // The previous policy broke a limit; the rest run on a clean engine.
                        _runtimes.Return(runtime);
                        runtime = _runtimes.Get();
                        input = runtime.Prepare(request.Input, request.Time);
                    }

                    outcomes[i] = runtime.Evaluate(applicable[i], input);
                }
            }
            finally
            {
                _runtimes.Return(runtime);
            }
        }

        return DecisionCombiner.Combine(outcomes, PolicySet, _options, request.ActionType);
    }

    private sealed class RuntimePoolPolicy(PolicySet set, EvaluationOptions options) : IPooledObjectPolicy<PolicyRuntime>
    {
        public PolicyRuntime Create() => new(set, options.Sandbox);

        public bool Return(PolicyRuntime obj) => !obj.Poisoned;
    }
}
