using Microsoft.Extensions.Options;
using Pdp.Evaluation;
using Pdp.Policies.Loading;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;

namespace Pdp.Server.Policies;

/// <summary>
/// Holds the policy revision being served. Requests read <see cref="Current"/> once and use that
/// evaluator to the end, so a swap never shows a request half of a set. A set that fails to load (or,
/// with <c>Pdp:Reload:RequireTests</c>, fails its tests) never replaces the one being served. Loads are
/// serialized: one at a time, whoever asks.
/// </summary>
public sealed class PolicyStore
{
    private readonly IPolicySource _source;
    private readonly PolicySetLoader _loader;
    private readonly EvaluationOptions _evaluation;
    private readonly bool _requireTests;
    private readonly TimeProvider _time;
    private readonly PolicyReloadStatus _status;
    private readonly ILogger<PolicyStore> _logger;
    private readonly Lock _reloadGate = new();
    private volatile PolicyEvaluator? _current;

    // What the previous attempt read; guarded by _reloadGate.
    private byte[]? _lastFingerprint;

    public PolicyStore(IPolicySource source, IOptions<PdpOptions> options, TimeProvider time, PolicyReloadStatus status, ILogger<PolicyStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _source = source;
        _evaluation = PdpOptionsValidator.ToEvaluationOptions(options.Value);
        _requireTests = options.Value.Reload.RequireTests;
        _loader = new PolicySetLoader(_evaluation.Sandbox, time);
        _time = time;
        _status = status;
        _logger = logger;
    }

    /// <summary>Raised after a new revision starts serving.</summary>
    public event Action<PolicyEvaluator>? RevisionActivated;

    /// <summary>The evaluator serving now, or null before the first successful load.</summary>
    public PolicyEvaluator? Current => _current;

    public EvaluationOptions EvaluationOptions => _evaluation;

    /// <summary>Counters and last outcome of every load.</summary>
    public PolicyReloadStatus Status => _status;

    /// <summary>
    /// Loads the source and, if it is valid, switches to it (the start-up load). Throws
    /// <see cref="PolicyLoadException"/> when the set is refused; the revision being served (if any) stays.
    /// </summary>
    public PolicyEvaluator Reload()
    {
        var result = TryReload(ReloadTrigger.Startup);
        return result.Outcome == ReloadOutcome.Refused || _current is not { } current
            ? throw new PolicyLoadException(result.Problems)
            : current;
    }

    /// <summary>
    /// Loads and checks the whole set off to the side and switches to it only if everything passes.
    /// Never throws: a refused set is reported in the result, logged and counted, and the previous
    /// revision keeps serving.
    /// </summary>
    /// <param name="trigger">Who asked, for logs and the status.</param>
    /// <param name="skipIfSourceUnchanged">
    /// Return <see cref="ReloadOutcome.Skipped"/> without loading when the source reads exactly as it did
    /// on the previous attempt (for watch and poll triggers; an operator's reload always loads).
    /// </param>
    public PolicyReloadResult TryReload(ReloadTrigger trigger, bool skipIfSourceUnchanged = false)
    {
        lock (_reloadGate)
        {
            var started = _time.GetTimestamp();
            try
            {
                return ReloadLocked(trigger, skipIfSourceUnchanged, started);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug, not a bad policy: still never let it reach the watcher or take down the serving set.
                PolicyLog.PolicyReloadCrashed(_logger, trigger, e);
                _lastFingerprint = null;
                return Refuse(trigger, [new PolicyProblem(_source.Origin, 0, 0, $"the reload failed unexpectedly: {e.Message}")], started);
            }
        }
    }

    private PolicyReloadResult ReloadLocked(ReloadTrigger trigger, bool skipIfSourceUnchanged, long started)
    {
        var snapshot = _source.Read();
        var fingerprint = SourceFingerprint.Of(snapshot);
        if (skipIfSourceUnchanged && _lastFingerprint is not null && fingerprint.AsSpan().SequenceEqual(_lastFingerprint))
        {
            _status.RecordSkip();
            return new PolicyReloadResult(ReloadOutcome.Skipped, _current?.PolicySet.Revision, []);
        }

        _lastFingerprint = fingerprint;
        var (set, problems) = _loader.TryLoad(snapshot);
        if (set is null)
        {
            return Refuse(trigger, problems, started);
        }

        var previous = _current;
        if (previous?.PolicySet.Revision == set.Revision)
        {
            var unchanged = new PolicyReloadResult(ReloadOutcome.Unchanged, set.Revision, []);
            _status.Record(trigger, unchanged, _time.GetUtcNow(), _time.GetElapsedTime(started), previous.PolicySet.LoadedAt);
            PolicyLog.PolicyReloadUnchanged(_logger, trigger, set.Revision);
            return unchanged;
        }

        if (_requireTests)
        {
            var failed = PolicySetTestGate.Check(snapshot, set, _evaluation);
            if (failed.Count > 0)
            {
                return Refuse(trigger, failed, started);
            }
        }

        var evaluator = new PolicyEvaluator(set, _evaluation);
        evaluator.WarmUp(Math.Min(Environment.ProcessorCount, _evaluation.MaxPooledEngines));
        _current = evaluator;
        var activated = new PolicyReloadResult(ReloadOutcome.Activated, set.Revision, []);
        _status.Record(trigger, activated, _time.GetUtcNow(), _time.GetElapsedTime(started), set.LoadedAt);
        if (previous is null)
        {
            ServerLog.PolicySetActivated(_logger, set.Revision, set.Policies.Count, _source.Origin);
        }
        else
        {
            PolicyLog.PolicyReloadActivated(_logger, trigger, set.Revision, previous.PolicySet.Revision, set.Policies.Count);
        }

        try
        {
            RevisionActivated?.Invoke(evaluator);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The switch has happened; a failing listener must not make it look refused.
            PolicyLog.PolicyReloadCrashed(_logger, trigger, e);
        }

        return activated;
    }

    private PolicyReloadResult Refuse(ReloadTrigger trigger, IReadOnlyList<PolicyProblem> problems, long started)
    {
        var serving = _current;
        var result = new PolicyReloadResult(ReloadOutcome.Refused, serving?.PolicySet.Revision, problems);
        _status.Record(trigger, result, _time.GetUtcNow(), _time.GetElapsedTime(started), serving?.PolicySet.LoadedAt);
        var text = string.Join("; ", problems);
        if (serving is null)
        {
            ServerLog.PolicyLoadFailed(_logger, _source.Origin, problems.Count, text);
        }
        else
        {
            PolicyLog.PolicyReloadRefused(_logger, trigger, _source.Origin, serving.PolicySet.Revision, problems.Count, text);
        }

        return result;
    }
}
