using Pdp.Server.Auditing;
using Pdp.Audit;
using Pdp.Server.Decisions;
using Pdp.Server.Logging;
using Pdp.Server.Policies;
using Pdp.Review.Store;

namespace Pdp.Server.Hosting;

/// <summary>
/// Opens the trail before anything can decide (repairing a torn last line from a crash, which the
/// trail reports), rebuilds review state and the idempotency window from it, and records every policy
/// revision that starts serving.
/// </summary>
public sealed class TrailStartupService(
    AuditTrailHost host,
    IReviewStore store,
    IdempotencyCache idempotency,
    PolicyStore policies,
    Pdp.Policies.Loading.IPolicySource source,
    DecisionRecorder recorder,
    IEnumerable<ITrailAnchor> anchors,
    TimeProvider time,
    ILogger<TrailStartupService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var trail = await host.OpenAsync(cancellationToken).ConfigureAwait(false);
        var opened = time.GetElapsedTime(started);
        if (trail.Recovery.TruncatedTail is { } torn)
        {
            ServerLog.TrailTailRepaired(logger, torn.File, torn.Line, torn.BytesCut, torn.Reason);
        }

        foreach (var anchor in anchors)
        {
            await anchor.CheckAsync(trail, cancellationToken).ConfigureAwait(false);
        }

        // From the newest checkpoint: its state, then only the records after it; without one, the whole trail.
        var (decisions, dispositions) = TrailReplayer.Replay(trail.ReadRecovered(), store as LocalReviewStore, idempotency, time.GetUtcNow());
        if (trail.Recovery.Checkpoint is { } checkpoint)
        {
            ServerLog.TrailResumed(logger, trail.ActivePath, checkpoint.CheckpointSeq, checkpoint.StateEntries, checkpoint.RecordsAfterAnchor, (long)opened.TotalMilliseconds, (long)time.GetElapsedTime(started).TotalMilliseconds);
        }

        ServerLog.TrailReplayed(logger, trail.ActivePath, trail.Recovery.RecordsRead, decisions, dispositions, store.PendingCounts().Values.Sum());

        // Replay reads every kept record once and leaves it all garbage except the bytes it keeps; one compacting
        // collection before the first call returns that memory to the system instead of carrying it as resident
        // heap (tens of MB after a long history). It runs once, before the server is ready.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        policies.RevisionActivated += evaluator => _ = RecordLoadAsync(evaluator);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task RecordLoadAsync(Pdp.Evaluation.PolicyEvaluator evaluator)
    {
        try
        {
            await recorder.RecordPolicyLoadAsync(evaluator, source.Origin, CancellationToken.None).ConfigureAwait(false);
        }
        catch (AuditWriteException e)
        {
            ServerLog.TrailWriteFailed(logger, DecisionRecorder.PolicyLoadType, e);
        }
    }
}
