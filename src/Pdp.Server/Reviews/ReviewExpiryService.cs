using Microsoft.Extensions.Options;
using Pdp.Audit;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;

namespace Pdp.Server.Reviews;

/// <summary>Sweeps pending reviews and records EXPIRED for those past their deadline, so an expiry is on record even if nobody asks.</summary>
public sealed class ReviewExpiryService(ReviewService reviews, IOptions<PdpOptions> options, TimeProvider time, ILogger<ReviewExpiryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.Review.ExpirySweepMilliseconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await reviews.ExpireDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (AuditWriteException e)
            {
                // The disk may recover; the next sweep tries again.
                ServerLog.TrailWriteFailed(logger, "expiry", e);
            }
            catch (Pdp.Review.Store.ReviewStoreUnavailableException e)
            {
                // The shared store may come back; the next sweep (here or on another instance) tries again.
                ServerLog.ReviewStoreUnavailable(logger, "expiry", e.Message);
            }
        }
    }
}
