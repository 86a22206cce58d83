using Pdp.Review.Postgres.Shipping;
using Pdp.Review.Postgres.Store;
using Pdp.Server.Auditing;
using Pdp.Server.Logging;

namespace Pdp.Server.ReviewPlane;

/// <summary>
/// What runs beside a shared review store: the LISTEN connection that wakes watchers, a probe each second that says
/// whether the database is reachable (and refreshes the pending counts), and the fleet decision log's shipping. All
/// three recover by themselves when the database comes back; nothing needs a restart.
/// </summary>
public sealed class ReviewPlaneBackgroundService(
    PostgresReviewStore store,
    ReviewNotifications notifications,
    DecisionLogShipper shipper,
    AuditTrailHost trail,
    ReviewPlaneMetrics metrics,
    TimeProvider time,
    ILogger<ReviewPlaneBackgroundService> logger) : BackgroundService
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        shipper.LagObserved = lag => metrics.ShippingLag.Observe(Math.Max(0, lag.TotalSeconds));
        metrics.OnScrape(() =>
        {
            if (trail.IsOpen)
            {
                metrics.ShippingBacklog.Set(Math.Max(0, trail.Trail.LastSeq - shipper.ShippedSeq));
            }

            metrics.ShippingBroken.Set(shipper.Broken is null ? 0 : 1);
        });
        return Task.WhenAll(
            Task.Run(() => notifications.RunAsync(stoppingToken), stoppingToken),
            Task.Run(() => shipper.RunAsync(time, stoppingToken), stoppingToken),
            Task.Run(() => ProbeAsync(stoppingToken), stoppingToken));
    }

    /// <summary>Stops the loops, then ships what the trail holds (bounded), so a deleted pod leaves nothing unshipped.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(DrainLimit);
        await shipper.DrainAsync(time, drain.Token).ConfigureAwait(false);
    }

    private async Task ProbeAsync(CancellationToken stoppingToken)
    {
        var wasUp = true;
        using var timer = new PeriodicTimer(ProbeInterval, time);
        try
        {
            do
            {
                var up = await store.ProbeAsync(stoppingToken).ConfigureAwait(false);
                metrics.StoreUp.Set(up ? 1 : 0);
                if (up != wasUp)
                {
                    if (up)
                    {
                        ServerLog.ReviewStoreRecovered(logger);
                    }
                    else
                    {
                        ServerLog.ReviewStoreUnavailable(logger, "probe", "PostgreSQL does not answer");
                    }
                }

                wasUp = up;
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
