using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Server.Auditing;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;
using Pdp.Server.Metrics;
using Pdp.Server.Policies;

namespace Pdp.Server.Reviews;

/// <summary>
/// Applies the review rules: one disposition at a time per decision, each written to the trail
/// before it changes state or is acknowledged; refusals of real decisions are recorded too. Also
/// expires reviews nobody settled in time.
/// </summary>
public sealed class ReviewService(IDecisionStore store, DecisionRecorder recorder, PolicyStore policies, PdpMetrics metrics, IOptions<PdpOptions> options, TimeProvider time, ILogger<ReviewService> logger)
{
    private readonly RecorderPolicy _recorders = new(options.Value.Tls.Enabled, [.. options.Value.Review.Recorders]);

    public async Task<(DispositionEntry Disposition, DecisionEntry Decision)> RecordAsync(DispositionCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        DispositionRules.CheckFields(command);
        var entry = Find(command.DecisionId);
        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            await ExpireIfDueLockedAsync(entry, now).ConfigureAwait(false);
            DispositionTransition transition;
            try
            {
                transition = DispositionRules.Check(entry, entry.Snapshot, command, GroupMembers(entry.ApproverGroup), _recorders, now);
            }
            catch (ReviewRefusedException refusal)
            {
                await recorder.RecordRefusalAsync(entry.DecisionId, command, refusal, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            // Once queued, a record is written whatever the caller does; so is the state change that follows it.
            var seq = await recorder.RecordDispositionAsync(entry, command, transition, now, CancellationToken.None).ConfigureAwait(false);
            var disposition = new DispositionEntry(command.Reviewer, command.Outcome!.Value, command.Justification, now, transition.DispositionDigest, command.Parameters, seq);
            entry.Apply(disposition, transition.State, transition.Settles ? now : null, transition.ApprovedDigest);
            metrics.RecordDisposition(entry, disposition);
            ServerLog.DispositionRecorded(logger, disposition.Outcome.ToText(), entry.DecisionId, command.Reviewer, transition.State.ToString());
            return (disposition, entry);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    public DecisionEntry Find(string decisionId)
    {
        if (string.IsNullOrWhiteSpace(decisionId) || !Guid.TryParse(decisionId, out _))
        {
            throw new ReviewRefusedException(RefusalKind.InvalidArgument, "decision_id: must be a decision id as returned by Decide");
        }

        return store.Find(decisionId) ?? throw new ReviewRefusedException(RefusalKind.NotFound, $"decision_id: no decision {decisionId} is known");
    }

    /// <summary>Yields the decision now and after every change, until its review can change no more.</summary>
    public async IAsyncEnumerable<(DecisionEntry Entry, ReviewSnapshot Review)> WatchAsync(string decisionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var entry = Find(decisionId);
        while (true)
        {
            var changed = entry.WhenChanged;
            var review = entry.Snapshot;
            yield return (entry, review);
            if (review.State != ReviewState.Pending)
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Records EXPIRED for every pending review past its deadline.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expired = 0;
        foreach (var entry in store.Pending().Where(e => e.ExpiresAt <= now).ToArray())
        {
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                expired += await ExpireIfDueLockedAsync(entry, now).ConfigureAwait(false) ? 1 : 0;
            }
            finally
            {
                entry.Gate.Release();
            }
        }

        return expired;
    }

    private async Task<bool> ExpireIfDueLockedAsync(DecisionEntry entry, DateTimeOffset now)
    {
        if (entry.Snapshot.State != ReviewState.Pending || entry.ExpiresAt is not { } expires || now < expires)
        {
            return false;
        }

        var seq = await recorder.RecordExpiryAsync(entry, now, CancellationToken.None).ConfigureAwait(false);
        var expiry = new DispositionEntry(TrailReplayer.ServerReviewer, ReviewOutcome.Expired, "no disposition before the review expired", now, string.Empty, null, seq);
        entry.Apply(expiry, ReviewState.Expired, now, string.Empty);
        metrics.RecordDisposition(entry, expiry);
        ServerLog.ReviewExpired(logger, entry.DecisionId);
        return true;
    }

    private string[]? GroupMembers(string group) =>
        policies.Current?.PolicySet.Data["groups"]?[group] is JsonArray members
            ? members.Select(m => m is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToArray()
            : null;
}
