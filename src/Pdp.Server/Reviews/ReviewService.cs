using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Review.Model;
using Pdp.Review.Rules;
using Pdp.Review.Store;
using Pdp.Server.Auditing;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;
using Pdp.Server.Metrics;
using Pdp.Server.Policies;

namespace Pdp.Server.Reviews;

/// <summary>
/// Applies the review rules through the review store: one change at a time per decision, each on record
/// before it changes state or is acknowledged; refusals of real decisions are recorded in the trail too.
/// Also expires reviews nobody settled in time.
/// </summary>
public sealed class ReviewService(IReviewStore store, DecisionRecorder recorder, PolicyStore policies, PdpMetrics metrics, IOptions<PdpOptions> options, TimeProvider time, ILogger<ReviewService> logger)
{
    private const int ExpiryBatch = 256;

    private readonly RecorderPolicy _recorders = new(options.Value.Tls.Enabled, [.. options.Value.Review.Recorders]);
    private readonly TimeSpan _rubberStamp = TimeSpan.FromSeconds(options.Value.Review.MinSeconds);

    public async Task<(DispositionEntry Disposition, ReviewView Decision)> RecordAsync(DispositionCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        DispositionRules.CheckFields(command);
        CheckId(command.DecisionId);

        // A late disposition finds the review expired: the expiry goes on record first, then the refusal.
        await ExpireIfDueAsync(command.DecisionId, cancellationToken).ConfigureAwait(false);
        ReviewChangeResult? result;
        try
        {
            result = await store.ChangeAsync(
                command.DecisionId,
                current =>
                {
                    var now = time.GetUtcNow();
                    var transition = DispositionRules.Check(current.Decision, current.Review, command, GroupMembers(current.Decision.ApproverGroup), _recorders, now, GroupMembers(current.Decision.EscalationGroup));

                    // Too fast to have been a real review: from the moment the console showed it, else from the decision.
                    var stamp = command.Outcome == ReviewOutcome.Approved && now - (command.FirstShownAt ?? current.Decision.DecidedAt) < _rubberStamp;
                    return ReviewChange.Disposition(command.Reviewer, command.Outcome!.Value, command.Justification, command.Parameters, transition, now, command.Proof, command.FirstShownAt, stamp);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ReviewRefusedException refusal)
        {
            await recorder.RecordRefusalAsync(command.DecisionId, command, refusal, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        var (view, change, seq) = result ?? throw Unknown(command.DecisionId);
        var disposition = change!.ToDisposition(seq);
        metrics.RecordDisposition(view.Decision, disposition, change.RubberStamp);
        ServerLog.DispositionRecorded(logger, disposition.Outcome.ToText(), view.Decision.DecisionId, command.Reviewer, view.Review.State.ToString());
        return (disposition, view);
    }

    public async Task<ReviewView> FindAsync(string decisionId, CancellationToken cancellationToken)
    {
        CheckId(decisionId);
        return await store.FindAsync(decisionId, cancellationToken).ConfigureAwait(false) ?? throw Unknown(decisionId);
    }

    /// <summary>Yields the decision now and after every change, until its review can change no more.</summary>
    public async IAsyncEnumerable<ReviewView> WatchAsync(string decisionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Unknown ids are refused before the stream starts, with the same status GetDecision gives.
        await FindAsync(decisionId, cancellationToken).ConfigureAwait(false);
        await foreach (var view in store.WatchAsync(decisionId, cancellationToken).ConfigureAwait(false))
        {
            yield return view;
        }
    }

    /// <summary>Records EXPIRED for every pending review past its deadline; with a shared store, once for the fleet.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var expired = 0;
        foreach (var id in await store.DueAsync(time.GetUtcNow(), ExpiryBatch, cancellationToken).ConfigureAwait(false))
        {
            expired += await ExpireIfDueAsync(id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }

        return expired;
    }

    private async Task<bool> ExpireIfDueAsync(string decisionId, CancellationToken cancellationToken)
    {
        var result = await store.ChangeAsync(
            decisionId,
            current =>
            {
                var now = time.GetUtcNow();
                return current.Review.State == ReviewState.Pending && current.Decision.ExpiresAt is { } expires && now >= expires
                    ? ReviewChange.Expiry(now)
                    : null;
            },
            cancellationToken).ConfigureAwait(false);
        if (result is not { Applied: { } change })
        {
            return false;
        }

        metrics.RecordDisposition(result.View.Decision, change.ToDisposition(result.Seq));
        ServerLog.ReviewExpired(logger, decisionId);
        return true;
    }

    private static void CheckId(string decisionId)
    {
        if (string.IsNullOrWhiteSpace(decisionId) || !Guid.TryParse(decisionId, out _))
        {
            throw new ReviewRefusedException(RefusalKind.InvalidArgument, "decision_id: must be a decision id as returned by Decide");
        }
    }

    private static ReviewRefusedException Unknown(string decisionId) => new(RefusalKind.NotFound, $"decision_id: no decision {decisionId} is known");

    private string[]? GroupMembers(string group) =>
        policies.Current?.PolicySet.Data["groups"]?[group] is JsonArray members
            ? members.Select(m => m is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToArray()
            : null;
}
