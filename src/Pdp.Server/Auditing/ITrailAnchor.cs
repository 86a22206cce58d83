using Pdp.Audit;

namespace Pdp.Server.Auditing;

/// <summary>
/// Something outside the local trail that knows how far it went (the fleet decision log): asked once the trail is
/// open, before anything is replayed or decided. A trail that does not hold what the anchor recorded throws
/// <see cref="AuditTrailCorruptException"/>, which stops the start with one clear message.
/// </summary>
public interface ITrailAnchor
{
    Task CheckAsync(AuditTrail trail, CancellationToken cancellationToken);
}
