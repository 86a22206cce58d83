using Pdp.Server.Auditing;
using Pdp.Server.Policies;
using Pdp.Review.Store;

namespace Pdp.Server.Metrics;

/// <summary>Wires the metrics to what they describe: revisions as they activate, and the gauges read at scrape time.</summary>
public sealed class MetricsStartupService(PdpMetrics metrics, PolicyStore policies, IReviewStore store, AuditTrailHost trail, PolicyReloadStatus reloads) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
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
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
