using System.Text.Json.Nodes;
using Pdp.Contracts.V1;

namespace Pdp.Server.Reviews;

/// <summary>A decision's review state at one moment; immutable, safe to hand to any thread.</summary>
public sealed record ReviewSnapshot(ReviewState State, IReadOnlyList<DispositionEntry> Dispositions, DateTimeOffset? SettledAt, string ApprovedDigest)
{
    public int Approvals => Dispositions.Count(d => d.Outcome == ReviewOutcome.Approved);

    public bool Overridden => Dispositions.Any(d => d.IsOverride);
}

/// <summary>
/// One decision as the review step knows it: what was decided (fixed at decision time) and how its
/// review stands (changed only through <see cref="Apply"/>, by one disposition at a time under
/// <see cref="Gate"/>). Watchers wait on <see cref="WhenChanged"/>.
/// </summary>
public sealed class DecisionEntry
{
    private readonly Lock _sync = new();
    private ReviewSnapshot _snapshot;
    private ApprovalUse? _approvalUse;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DecisionEntry(string decisionId, DateTimeOffset decidedAt, JsonObject recordedInput, DecideResponse response, string policyId, string approverGroup, string actionDigest)
    {
        ArgumentNullException.ThrowIfNull(recordedInput);
        ArgumentNullException.ThrowIfNull(response);
        DecisionId = decisionId;
        DecidedAt = decidedAt;
        RecordedInput = recordedInput;
        Response = response;
        PolicyId = policyId;
        ApproverGroup = approverGroup;
        ActionDigest = actionDigest;
        AgentId = recordedInput["agent"]?["id"]?.GetValue<string>() ?? string.Empty;
        OnBehalfOf = recordedInput["agent"]?["on_behalf_of"]?.GetValue<string>() ?? string.Empty;
        _snapshot = new ReviewSnapshot(response.Verdict == Verdict.RequireHuman ? ReviewState.Pending : ReviewState.NotRequired, [], null, string.Empty);
    }

    public string DecisionId { get; }

    public DateTimeOffset DecidedAt { get; }

    /// <summary>The input as recorded in the trail (redacted).</summary>
    public JsonObject RecordedInput { get; }

    public DecideResponse Response { get; }

    /// <summary>The policy that decided (or <c>default</c>): whose owner is accountable, and the metrics' policy label.</summary>
    public string PolicyId { get; }

    public string ApproverGroup { get; }

    public string ActionDigest { get; }

    public string AgentId { get; }

    public string OnBehalfOf { get; }

    public Verdict Verdict => Response.Verdict;

    public DateTimeOffset? ExpiresAt => Response.Review?.ExpiresAt?.ToDateTimeOffset();

    public int MinApprovals => Math.Max(1, Response.Review?.MinApprovals ?? 1);

    /// <summary>Serialises dispositions on this decision (held across the durable trail write).</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public ReviewSnapshot Snapshot
    {
        get
        {
            lock (_sync)
            {
                return _snapshot;
            }
        }
    }

    /// <summary>The use of this decision's approval, once an approved request has run on it; null until then.</summary>
    public ApprovalUse? ApprovalUse
    {
        get
        {
            lock (_sync)
            {
                return _approvalUse;
            }
        }
    }

    /// <summary>Marks the approval used; false (and nothing changes) when it already was. Callers hold <see cref="Gate"/>.</summary>
    public bool TryMarkApprovalUsed(ApprovalUse use)
    {
        ArgumentNullException.ThrowIfNull(use);
        lock (_sync)
        {
            if (_approvalUse is not null)
            {
                return false;
            }

            _approvalUse = use;
            return true;
        }
    }

    /// <summary>Completes at the next change of review state.</summary>
    public Task WhenChanged
    {
        get
        {
            lock (_sync)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Records a disposition and the state it leads to, then wakes every watcher.</summary>
    public void Apply(DispositionEntry disposition, ReviewState state, DateTimeOffset? settledAt, string approvedDigest)
    {
        ArgumentNullException.ThrowIfNull(disposition);
        TaskCompletionSource changed;
        lock (_sync)
        {
            _snapshot = new ReviewSnapshot(state, [.. _snapshot.Dispositions, disposition], settledAt ?? _snapshot.SettledAt, approvedDigest);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }
}
