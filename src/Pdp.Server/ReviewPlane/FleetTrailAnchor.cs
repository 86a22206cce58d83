using Pdp.Audit;
using Pdp.Review.Postgres.Shipping;
using Pdp.Server.Auditing;
using Pdp.Server.Logging;

namespace Pdp.Server.ReviewPlane;

/// <summary>
/// The fleet decision log as the trail's second anchor: at start the local trail must still hold the position the
/// log recorded for it, and from then on retention keeps every segment the shipper has not yet taken, so a long
/// database outage never costs an acknowledged decision its copy in the log.
/// </summary>
public sealed class FleetTrailAnchor(DecisionLogShipper shipper, ILogger<FleetTrailAnchor> logger) : ITrailAnchor
{
    public async Task CheckAsync(AuditTrail trail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trail);
        // The segment holding the shipped record stays too: the next start checks that record against the log.
        trail.KeepFrom = () => shipper.ShippedSeq;
        if (!await shipper.CheckAnchorAsync(trail.LastSeq, cancellationToken).ConfigureAwait(false))
        {
            // Allow/deny are answered from the local trail while the database is away; the shipper checks the same
            // position before it ships anything, and reports a cut trail as broken.
            ServerLog.ReviewStoreUnavailable(logger, "the fleet-log anchor check at start-up", "not reachable; the shipper checks the position when it resumes");
        }
    }
}
