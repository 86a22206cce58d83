using Pdp.Review.Model;

namespace Pdp.Review.Rules;

/// <summary>
/// The review rules, as a pure function of the decision, its review state, the disposition and the
/// approver group's members. Throws <see cref="ReviewRefusedException"/> naming the broken rule.
/// </summary>
public static class DispositionRules
{
    public const int MaxReviewerLength = 256;
    public const int MaxJustificationLength = 4096;

    /// <summary>Checks the fields that make sense without the decision.</summary>
    public static void CheckFields(DispositionCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (string.IsNullOrWhiteSpace(command.DecisionId))
        {
            throw new ReviewRefusedException(RefusalKind.InvalidArgument, "decision_id: is required");
        }

        if (string.IsNullOrWhiteSpace(command.Reviewer) || command.Reviewer.Length > MaxReviewerLength)
        {
            throw new ReviewRefusedException(RefusalKind.InvalidArgument, $"reviewer: is required, at most {MaxReviewerLength} characters");
        }

        if (command.Outcome is null or ReviewOutcome.Expired)
        {
            throw new ReviewRefusedException(RefusalKind.InvalidArgument, "outcome: must be APPROVED, REJECTED, MODIFIED or REVERSED (EXPIRED is written only by the server)");
        }

        if (command.Justification.Length > MaxJustificationLength)
        {
            throw new ReviewRefusedException(RefusalKind.InvalidArgument, $"justification: is longer than {MaxJustificationLength} characters");
        }

        if (DispositionEntry.IsOverrideOutcome(command.Outcome.Value) && string.IsNullOrWhiteSpace(command.Justification))
        {
            throw new ReviewRefusedException(RefusalKind.InvalidArgument, $"justification: is required to record {command.Outcome.Value.ToText()}");
        }

        if (command.Outcome == ReviewOutcome.Modified && (command.Parameters is null || command.Parameters.Count == 0))
        {
            throw new ReviewRefusedException(RefusalKind.InvalidArgument, "parameters: MODIFIED must carry the action's parameters as changed by the reviewer");
        }
    }

    /// <param name="escalationMembers">Members of the decision's escalation group: they may decide too once the review is escalated.</param>
    public static DispositionTransition Check(DecisionFacts decision, ReviewSnapshot review, DispositionCommand command, IReadOnlyCollection<string>? groupMembers, RecorderPolicy recorders, DateTimeOffset now, IReadOnlyCollection<string>? escalationMembers = null)
    {
        ArgumentNullException.ThrowIfNull(recorders);
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(command);
        CheckFields(command);
        var outcome = command.Outcome!.Value;
        CheckState(decision, review, outcome, now);
        CheckSeparationOfDuties(decision, command.Reviewer, Deciders(decision, review, command, groupMembers, escalationMembers));
        CheckRecorder(decision, command.Caller, recorders);
        switch (outcome)
        {
            case ReviewOutcome.Reversed:
                return new DispositionTransition(ReviewState.Reversed, true, string.Empty, decision.ActionDigest);
            case ReviewOutcome.Rejected:
                return new DispositionTransition(ReviewState.Rejected, true, string.Empty, decision.ActionDigest);
            case ReviewOutcome.Modified:
                if (decision.MinApprovals > 1)
                {
                    throw new ReviewRefusedException(RefusalKind.FailedPrecondition, RefusalRule.FourEyesModify, $"this decision needs {decision.MinApprovals} approvals; one reviewer cannot modify it: reject it and let the agent propose the changed action");
                }

                var action = decision.RecordedInput["action"];
                var modified = ActionDigest.Of(action?["type"]?.GetValue<string>() ?? string.Empty, action?["target"]?.AsObject(), command.Parameters);
                return new DispositionTransition(ReviewState.Modified, true, modified, modified);
            default:
                if (review.Dispositions.Any(d => d.Outcome == ReviewOutcome.Approved && string.Equals(d.Reviewer, command.Reviewer, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new ReviewRefusedException(RefusalKind.FailedPrecondition, RefusalRule.DuplicateApproval, $"{command.Reviewer} has already approved this decision; {decision.MinApprovals} distinct reviewers are required");
                }

                var settles = review.Approvals + 1 >= decision.MinApprovals;
                return new DispositionTransition(settles ? ReviewState.Approved : ReviewState.Pending, settles, settles ? decision.ActionDigest : string.Empty, decision.ActionDigest);
        }
    }

    /// <summary>
    /// Who may decide the review now. With groups in the reviewer's token, the token decides: the reviewer alone when one
    /// of its groups may (<see cref="ReviewEscalation.MayDecide"/>). Otherwise the approver group's members, joined by
    /// the escalation group's once the review has escalated.
    /// </summary>
    private static IReadOnlyCollection<string>? Deciders(DecisionFacts decision, ReviewSnapshot review, DispositionCommand command, IReadOnlyCollection<string>? groupMembers, IReadOnlyCollection<string>? escalationMembers)
    {
        if (command.Proof?.Groups is { } tokenGroups)
        {
            return tokenGroups.Any(g => ReviewEscalation.MayDecide(decision, review, g)) ? [command.Reviewer] : [];
        }

        return review.EscalatedAt is not null && escalationMembers is not null ? [.. groupMembers ?? [], .. escalationMembers] : groupMembers;
    }

    private static void CheckState(DecisionFacts decision, ReviewSnapshot review, ReviewOutcome outcome, DateTimeOffset now)
    {
        if (decision.Verdict == DecisionVerdict.Deny)
        {
            throw new ReviewRefusedException(RefusalKind.FailedPrecondition, RefusalRule.NotReviewable, "the decision was deny: there is nothing to approve, reject or reverse");
        }

        if (outcome == ReviewOutcome.Reversed)
        {
            if (decision.Verdict != DecisionVerdict.Allow)
            {
                throw new ReviewRefusedException(RefusalKind.FailedPrecondition, RefusalRule.NotReviewable, "only an allowed decision can be reversed; a review is settled with APPROVED, REJECTED or MODIFIED");
            }

            if (review.State != ReviewState.NotRequired)
            {
                throw new ReviewRefusedException(RefusalKind.FailedPrecondition, RefusalRule.AlreadySettled, "the decision has already been reversed");
            }

            return;
        }

        if (decision.Verdict != DecisionVerdict.RequireHuman)
        {
            throw new ReviewRefusedException(RefusalKind.FailedPrecondition, RefusalRule.NotReviewable, "the decision was allow and needed no review; record REVERSED to undo it");
        }

        if (review.State == ReviewState.Expired || (review.State == ReviewState.Pending && decision.ExpiresAt is { } expires && now >= expires))
        {
            throw new ReviewRefusedException(RefusalKind.FailedPrecondition, RefusalRule.AfterExpiry, $"the review expired at {decision.ExpiresAt:O}; an expired review is never an approval");
        }

        if (review.State != ReviewState.Pending)
        {
            throw new ReviewRefusedException(RefusalKind.FailedPrecondition, RefusalRule.AlreadySettled, $"the review is already settled ({review.State.ToString().ToLowerInvariant()})");
        }
    }

    /// <summary>
    /// Separation of duties between workloads: the workload that asked for a decision never records its
    /// disposition, and with mTLS on only the configured recorder workloads may record any.
    /// </summary>
    private static void CheckRecorder(DecisionFacts decision, RecordingCaller caller, RecorderPolicy recorders)
    {
        var requester = decision.RequesterSpiffeId;
        if (caller.SpiffeId is { } spiffe && requester.Length > 0 && string.Equals(requester, spiffe, StringComparison.Ordinal))
        {
            throw new ReviewRefusedException(RefusalKind.PermissionDenied, RefusalRule.Recorder, $"caller: {spiffe} requested this decision and cannot record its disposition");
        }

        if (!recorders.MtlsRequired || caller.Console)
        {
            return;
        }

        if (caller.SpiffeId is null || !caller.Authenticated)
        {
            throw new ReviewRefusedException(RefusalKind.PermissionDenied, RefusalRule.Recorder, "caller: with mTLS on, dispositions are recorded only over mTLS by a workload listed in Pdp:Review:Recorders");
        }

        if (!recorders.Allows(caller.SpiffeId))
        {
            throw new ReviewRefusedException(RefusalKind.PermissionDenied, RefusalRule.Recorder, $"caller: {caller.SpiffeId} is not listed in Pdp:Review:Recorders");
        }
    }

    private static void CheckSeparationOfDuties(DecisionFacts decision, string reviewer, IReadOnlyCollection<string>? groupMembers)
    {
        if (string.Equals(reviewer, decision.AgentId, StringComparison.OrdinalIgnoreCase))
        {
            throw new ReviewRefusedException(RefusalKind.PermissionDenied, RefusalRule.SelfApproval, "reviewer: the agent that proposed the action cannot review it");
        }

        if (decision.OnBehalfOf.Length > 0 && string.Equals(reviewer, decision.OnBehalfOf, StringComparison.OrdinalIgnoreCase))
        {
            throw new ReviewRefusedException(RefusalKind.PermissionDenied, RefusalRule.SelfApproval, "reviewer: the principal the agent acts for cannot review its own request");
        }

        if (groupMembers is null || !groupMembers.Contains(reviewer, StringComparer.OrdinalIgnoreCase))
        {
            throw new ReviewRefusedException(RefusalKind.PermissionDenied, RefusalRule.NotInGroup, $"reviewer: {reviewer} is not a member of the approver group '{decision.ApproverGroup}'"
                + (decision.EscalationGroup.Length > 0 ? $" (nor, once the review escalates, of '{decision.EscalationGroup}')" : string.Empty));
        }
    }
}

/// <summary>Which workloads may record dispositions: with mTLS on, only those matching <see cref="Allowed"/>.</summary>
public sealed record RecorderPolicy(bool MtlsRequired, IReadOnlyList<string> Allowed)
{
    public bool Allows(string spiffeId) => Allowed.Any(pattern => Matches(spiffeId, pattern));

    /// <summary>
    /// An exact SPIFFE ID, or one ending in <c>/*</c> that stands for any ID strictly below that path
    /// (<c>spiffe://example.org/reviewers/*</c>).
    /// </summary>
    public static bool Matches(string spiffeId, string pattern)
    {
        ArgumentNullException.ThrowIfNull(spiffeId);
        ArgumentNullException.ThrowIfNull(pattern);
        return pattern.EndsWith("/*", StringComparison.Ordinal)
            ? spiffeId.StartsWith(pattern[..^1], StringComparison.Ordinal) && spiffeId.Length > pattern.Length - 1
            : string.Equals(spiffeId, pattern, StringComparison.Ordinal);
    }
}
