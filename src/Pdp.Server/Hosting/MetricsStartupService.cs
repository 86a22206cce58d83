using Pdp.Server.Metrics;
using Pdp.Server.Auditing;
using Pdp.Server.Policies;
using Pdp.Review.Store;

namespace Pdp.Server.Hosting;

/// <summary>Wires the metrics to what they describe: revisions as they activate, and the gauges read at scrape time.</summary>
/// <remarks>Takes <see cref="ReviewPlane.ReviewPlaneMetrics"/> and <see cref="Reviewers.ReviewerAuthentication"/> so their series (which store, which reviewer mode) exist from the start.</remarks>
public sealed class MetricsStartupService(PdpMetrics metrics, PolicyStore policies, IReviewStore store, AuditTrailHost trail, PolicyReloadStatus reloads, ReviewPlane.ReviewPlaneMetrics reviewPlane, Reviewers.ReviewerAuthentication reviewers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reviewPlane);
        ArgumentNullException.ThrowIfNull(reviewers);
        policies.RevisionActivated += metrics.RevisionActivated;
        if (policies.Current is { } current)
        {
            metrics.RevisionActivated(current);
        }

        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            metrics.RefreshPending(store);
            var status = reloads.Current;
            metrics.Reloads.WithLabels("activated").IncTo(status.Activations);
            metrics.Reloads.WithLabels("unchanged").IncTo(status.Successes - status.Activations);
            metrics.Reloads.WithLabels("refused").IncTo(status.Failures);
            if (trail.IsOpen)
            {
                metrics.AuditFsyncs.IncTo(trail.Trail.FsyncCount);
                metrics.AuditCheckpoints.WithLabels("written").IncTo(trail.Trail.CheckpointCount);
                metrics.AuditCheckpoints.WithLabels("failed").IncTo(trail.Trail.CheckpointFailures);
                metrics.AuditRecordsSinceCheckpoint.Set(trail.Trail.RecordsSinceCheckpoint);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
