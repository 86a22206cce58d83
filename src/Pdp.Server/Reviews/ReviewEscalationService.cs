using Microsoft.Extensions.Options;
using Pdp.Audit;
using Pdp.Review.Rules;
using Pdp.Review.Store;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;
using Pdp.Server.Metrics;

namespace Pdp.Server.Reviews;

/// <summary>
/// Sweeps pending reviews, beside the expiry sweep, and escalates those still pending at <c>Pdp:Review:EscalateAt</c> of
/// their window: an <c>escalation</c> record on the trail (and in the shared chain), under the decision's lock, so once
/// for the fleet; from then on the escalation group may decide the review too, and its endpoints are told.
/// </summary>
public sealed partial class ReviewEscalationService(IReviewStore store, PdpMetrics metrics, IOptions<PdpOptions> options, TimeProvider time, ILogger<ReviewEscalationService> logger) : BackgroundService
{
    private const int Batch = 256;

    public async Task<int> EscalateDueAsync(CancellationToken cancellationToken)
    {
        var fraction = options.Value.Review.EscalateAt;
        var escalated = 0;
        foreach (var id in await store.EscalationDueAsync(time.GetUtcNow(), fraction, Batch, cancellationToken).ConfigureAwait(false))
        {
            var result = await store.ChangeAsync(id, current => ReviewEscalation.Plan(current, fraction, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            if (result is { Applied: { } change })
            {
                metrics.Escalations.WithLabels(result.View.Decision.PolicyId).Inc();
                LogEscalated(logger, id, change.EscalationGroup);
                escalated++;
            }
        }

        return escalated;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.Review.ExpirySweepMilliseconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await EscalateDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (AuditWriteException e)
            {
                ServerLog.TrailWriteFailed(logger, "escalation", e);
            }
            catch (ReviewStoreUnavailableException e)
            {
                ServerLog.ReviewStoreUnavailable(logger, "escalation", e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 1410, Level = LogLevel.Information, Message = "Review of decision {DecisionId} escalated to {EscalationGroup}")]
    private static partial void LogEscalated(ILogger logger, string decisionId, string escalationGroup);
}
