using Microsoft.Extensions.Options;
using Pdp.Evaluation;
using Pdp.Policies.Loading;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;

namespace Pdp.Server.Policies;

/// <summary>
/// Holds the policy revision being served. Requests read <see cref="Current"/> once and use that
/// evaluator to the end, so a swap never shows a request half of a set. A set that fails to load never
/// replaces the one being served.
/// </summary>
public sealed class PolicyStore
{
    private readonly IPolicySource _source;
    private readonly PolicySetLoader _loader;
    private readonly EvaluationOptions _evaluation;
    private readonly ILogger<PolicyStore> _logger;
    private readonly Lock _reloadGate = new();
    private volatile PolicyEvaluator? _current;

    public PolicyStore(IPolicySource source, IOptions<PdpOptions> options, TimeProvider time, ILogger<PolicyStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _source = source;
        _evaluation = PdpOptionsValidator.ToEvaluationOptions(options.Value);
        _loader = new PolicySetLoader(_evaluation.Sandbox, time);
        _logger = logger;
    }

    /// <summary>Raised after a new revision starts serving.</summary>
    public event Action<PolicyEvaluator>? RevisionActivated;

    /// <summary>The evaluator serving now, or null before the first successful load.</summary>
    public PolicyEvaluator? Current => _current;

    public EvaluationOptions EvaluationOptions => _evaluation;

    /// <summary>
    /// Loads the source and, if it is valid, switches to it. Throws <see cref="PolicyLoadException"/>
    /// when the set is invalid; the revision being served (if any) stays.
    /// </summary>
    public PolicyEvaluator Reload()
    {
        lock (_reloadGate)
        {
            var snapshot = _source.Read();
            var (set, problems) = _loader.TryLoad(snapshot);
            if (set is null)
            {
                ServerLog.PolicyLoadFailed(_logger, _source.Origin, problems.Count, string.Join("; ", problems));
                throw new PolicyLoadException(problems);
            }

            if (_current?.PolicySet.Revision == set.Revision)
            {
                return _current;
            }

            var evaluator = new PolicyEvaluator(set, _evaluation);
            evaluator.WarmUp(Math.Min(Environment.ProcessorCount, _evaluation.MaxPooledEngines));
            _current = evaluator;
            ServerLog.PolicySetActivated(_logger, set.Revision, set.Policies.Count, _source.Origin);
            RevisionActivated?.Invoke(evaluator);
            return evaluator;
        }
    }
}
