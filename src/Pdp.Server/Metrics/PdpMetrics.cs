using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Review.Model;
using Pdp.Review.Store;
using Prometheus;
using Pdp.Server.Spiffe;

namespace Pdp.Server.Metrics;

/// <summary>
/// Every metric Pdp exports, on its own registry (one per server, so servers in one process — tests —
/// never mix counts). Label values go through <see cref="MetricLabels"/>; series for each loaded
/// policy are created at zero when its revision activates, so rates and ratios exist from the start.
/// </summary>
public sealed class PdpMetrics
{
    private static readonly string[] Verdicts = ["allow", "deny", "require_human"];
    private static readonly string[] Outcomes = ["approved", "rejected", "modified", "reversed", "expired"];
    private static readonly string[] OverrideKinds = ["rejected", "modified", "reversed"];
    private static readonly string[] ErrorKinds = ["exception", "timeout", "limit", "invalid_result"];

    private readonly TimeSpan _rubberStamp;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), Counter.Child> _decisionChildren = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), Counter.Child> _actionChildren = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), Counter.Child> _grpcChildren = new();
    private volatile MetricLabels _labels = MetricLabels.Empty;

    /// <summary>Counts one gRPC call; <paramref name="method"/> is one the server serves (unknown ones never get here).</summary>
    public void RecordGrpcCall(string method, Grpc.Core.StatusCode code) => ChildOf(_grpcChildren, GrpcRequests, method, CodeName(code)).Inc();

    private static Counter.Child ChildOf(System.Collections.Concurrent.ConcurrentDictionary<(string, string), Counter.Child> children, Counter counter, string first, string second) =>
        children.TryGetValue((first, second), out var child) ? child : children.GetOrAdd((first, second), static (key, c) => c.WithLabels(key.Item1, key.Item2), counter);
    private string? _revision;

    public PdpMetrics(TimeSpan rubberStampBelow)
    {
        _rubberStamp = rubberStampBelow;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Decisions = factory.CreateCounter("pdp_decisions_total", "Decisions by verdict and deciding policy.", ["policy", "verdict"]);
        DecisionsByAction = factory.CreateCounter("pdp_decisions_by_action_total", "Decisions by the action pattern that matched (or 'other') and verdict.", ["action", "verdict"]);
        DecisionDuration = factory.CreateHistogram("pdp_decision_duration_seconds", "Time to decide, from request to durable record.", new HistogramConfiguration
        {
            Buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        });
        EvaluationErrors = factory.CreateCounter("pdp_policy_evaluation_errors_total", "Policy evaluations that failed closed, by policy and kind.", ["policy", "kind"]);
        Dispositions = factory.CreateCounter("pdp_dispositions_total", "Human dispositions (and server-recorded expiries) by policy and outcome.", ["policy", "outcome"]);
        Overrides = factory.CreateCounter("pdp_overrides_total", "Dispositions in which a human did not accept the AI's action as proposed.", ["policy", "kind"]);
        ReviewDuration = factory.CreateHistogram("pdp_review_duration_seconds", "Time from decision to human disposition.", ["policy"], new HistogramConfiguration
        {
            Buckets = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400],
        });
        RubberStamps = factory.CreateCounter("pdp_rubber_stamp_approvals_total", "Approvals recorded faster than Pdp:Review:MinSeconds after the decision.", ["policy"]);
        PendingReviews = factory.CreateGauge("pdp_reviews_pending", "Reviews waiting for a human.", ["policy"]);
        ExpiredReviews = factory.CreateCounter("pdp_reviews_expired_total", "Reviews that expired with no disposition.", ["policy"]);
        ReviewerDispositions = factory.CreateCounter("pdp_reviewer_dispositions_total", "Dispositions by reviewer (as named in data.groups, else 'other') and outcome.", ["reviewer", "outcome"]);
        RevisionInfo = factory.CreateGauge("pdp_policy_revision_info", "The policy revision being served (value 1).", ["revision"]);
        Reloads = factory.CreateCounter("pdp_policy_reloads_total", "Policy reload attempts by result.", ["result"]);
        GrpcRequests = factory.CreateCounter("pdp_grpc_requests_total", "gRPC calls by method and status code.", ["method", "code"]);
        AuditRecords = factory.CreateCounter("pdp_audit_records_total", "Records written to the audit trail by type.", ["type"]);
        AuditFsyncs = factory.CreateCounter("pdp_audit_fsyncs_total", "fsync calls of the audit trail (group commit shares one among many records).");
        AuditFailures = factory.CreateCounter("pdp_audit_write_failures_total", "Audit trail writes that failed.");
        AuditCheckpoints = factory.CreateCounter("pdp_audit_checkpoints_total", "Audit trail checkpoints written, by result (a failed one leaves the previous in force: start-up replays more).", ["result"]);
        AuditRecordsSinceCheckpoint = factory.CreateGauge("pdp_audit_records_since_checkpoint", "Records the next start-up would verify and replay: those after the newest checkpoint's anchor.");
        BackgroundVerifiedRecords = factory.CreateGauge("pdp_audit_background_verified_records", "Records verified so far by the background verification after start (Pdp:Audit:VerifyAfterStart).");
        BackgroundVerificationResult = factory.CreateGauge("pdp_audit_background_verification_result", "The background verification after start: 0 not run or running, 1 the trail verified, -1 it did not (the log says where).");
        OverloadRejections = factory.CreateCounter("pdp_overload_rejections_total", "Decisions refused with RESOURCE_EXHAUSTED by admission control.");
        AuthenticationFailures = factory.CreateCounter("pdp_authentication_failures_total", "mTLS calls refused because the client certificate is not an acceptable SVID, by reason.", ["reason"]);
        foreach (var reason in Enum.GetNames<SvidRejection>())
        {
            AuthenticationFailures.WithLabels(SnakeCase(reason));
        }

        foreach (var type in new[] { "decision", "disposition", "expiry", "refusal", "policy_load", "approval_use", "check_refusal" })
        {
            AuditRecords.WithLabels(type);
        }
    }

    public CollectorRegistry Registry { get; }

    public Counter Decisions { get; }

    public Counter DecisionsByAction { get; }

    public Histogram DecisionDuration { get; }

    public Counter EvaluationErrors { get; }

    public Counter Dispositions { get; }

    public Counter Overrides { get; }

    public Histogram ReviewDuration { get; }

    public Counter RubberStamps { get; }

    public Gauge PendingReviews { get; }

    public Counter ExpiredReviews { get; }

    public Counter ReviewerDispositions { get; }

    public Gauge RevisionInfo { get; }

    public Counter Reloads { get; }

    public Counter GrpcRequests { get; }

    public Counter AuditRecords { get; }

    public Counter AuditFsyncs { get; }

    public Counter AuditFailures { get; }

    public Counter AuditCheckpoints { get; }

    public Gauge AuditRecordsSinceCheckpoint { get; }

    public Gauge BackgroundVerifiedRecords { get; }

    public Gauge BackgroundVerificationResult { get; }

    public Counter AuthenticationFailures { get; }

    public Counter OverloadRejections { get; }

    public MetricLabels Labels => _labels;

    /// <summary>Switches the label sets to a newly served revision and creates its series at zero.</summary>
    public void RevisionActivated(PolicyEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        var set = evaluator.PolicySet;
        _labels = MetricLabels.For(set);
        var previous = Interlocked.Exchange(ref _revision, set.Revision);
        if (previous is not null && previous != set.Revision)
        {
            RevisionInfo.RemoveLabelled(previous);
        }

        RevisionInfo.WithLabels(set.Revision).Set(1);
        foreach (var policy in set.Policies.Select(p => p.Id).Append(MetricLabels.Default).Append(MetricLabels.Other))
        {
            Array.ForEach(Verdicts, v => Decisions.WithLabels(policy, v));
            Array.ForEach(Outcomes, o => Dispositions.WithLabels(policy, o));
            Array.ForEach(OverrideKinds, k => Overrides.WithLabels(policy, k));
            Array.ForEach(ErrorKinds, k => EvaluationErrors.WithLabels(policy, k));
            RubberStamps.WithLabels(policy);
            ExpiredReviews.WithLabels(policy);
            PendingReviews.WithLabels(policy);
            ReviewDuration.WithLabels(policy);
        }
    }

    public void RecordDecision(Decision decision, string actionType, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var labels = _labels;
        var verdict = decision.Verdict.ToText();
        // Children looked up by (label, label) without building a label array per decision; both label sets are bounded.
        ChildOf(_decisionChildren, Decisions, labels.Policy(decision.DecidingPolicyId ?? MetricLabels.Default), verdict).Inc();
        ChildOf(_actionChildren, DecisionsByAction, labels.Action(actionType, decision.DecidingPolicyId), verdict).Inc();
        DecisionDuration.Observe(elapsed.TotalSeconds);
        foreach (var outcome in decision.Outcomes)
        {
            if (outcome.Error != PolicyErrorKind.None)
            {
                EvaluationErrors.WithLabels(labels.Policy(outcome.PolicyId), ErrorKind(outcome.Error)).Inc();
            }
        }
    }

    /// <param name="rubberStamp">Whether the review rules judged the approval a rubber stamp; null: judge by the time since the decision.</param>
    public void RecordDisposition(DecisionFacts decision, DispositionEntry disposition, bool? rubberStamp = null)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(disposition);
        var labels = _labels;
        var policy = labels.Policy(decision.PolicyId);
        var outcome = disposition.Outcome.ToText();
        Dispositions.WithLabels(policy, outcome).Inc();
        if (disposition.Outcome == ReviewOutcome.Expired)
        {
            ExpiredReviews.WithLabels(policy).Inc();
            return;
        }

        ReviewerDispositions.WithLabels(labels.Reviewer(disposition.Reviewer), outcome).Inc();
        var latency = disposition.RecordedAt - decision.DecidedAt;
        ReviewDuration.WithLabels(policy).Observe(Math.Max(0, latency.TotalSeconds));
        if (disposition.IsOverride)
        {
            Overrides.WithLabels(policy, outcome).Inc();
        }
        else if (rubberStamp ?? (disposition.Outcome == ReviewOutcome.Approved && latency < _rubberStamp))
        {
            RubberStamps.WithLabels(policy).Inc();
        }
    }

    /// <summary>Sets the pending-review gauge from the store, per policy (called just before each scrape).</summary>
    public void RefreshPending(IReviewStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var labels = _labels;
        var counts = store.PendingCounts().GroupBy(p => labels.Policy(p.Key)).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
        foreach (var labelValues in PendingReviews.GetAllLabelValues().ToArray())
        {
            PendingReviews.WithLabels(labelValues).Set(counts.GetValueOrDefault(labelValues[0]));
        }

        foreach (var (policy, count) in counts)
        {
            PendingReviews.WithLabels(policy).Set(count);
        }
    }

    /// <summary>The canonical gRPC name of a status code (<c>INVALID_ARGUMENT</c>), as other gRPC tooling labels it.</summary>
    public static string CodeName(Grpc.Core.StatusCode code) =>
        CodeNames.TryGetValue(code, out var name) ? name : SnakeCase(code.ToString()).ToUpperInvariant();

    // Formatted once, not per call.
    private static readonly System.Collections.Frozen.FrozenDictionary<Grpc.Core.StatusCode, string> CodeNames =
        System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(Enum.GetValues<Grpc.Core.StatusCode>().Distinct(), c => c, c => SnakeCase(c.ToString()).ToUpperInvariant());

    /// <summary><c>NoCertificate</c> → <c>no_certificate</c>: label values are snake_case like every other.</summary>
    public static string SnakeCase(string pascal)
    {
        ArgumentNullException.ThrowIfNull(pascal);
        var builder = new System.Text.StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            // A word starts at an upper-case letter after a lower-case one, or at the last capital of an
            // acronym that a lower-case letter follows ("NotALeaf" → not_a_leaf, "OK" → ok).
            var startsWord = i > 0 && char.IsUpper(pascal[i])
                && (char.IsLower(pascal[i - 1]) || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1])));
            if (startsWord)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(pascal[i]));
        }

        return builder.ToString();
    }

    private static string ErrorKind(PolicyErrorKind kind) => kind switch
    {
        PolicyErrorKind.Timeout => "timeout",
        PolicyErrorKind.Limit => "limit",
        PolicyErrorKind.InvalidResult => "invalid_result",
        _ => "exception",
    };
}
