using Pdp.Audit.Reading;

namespace Pdp.Review.Postgres.Shipping;

/// <summary>
/// A trail's name in the fleet decision log: the hash of its first record. It is fixed when the trail begins, the same
/// after every restart, and different for every trail (the first record carries its own time and content). Every
/// checkpoint carries it, so it outlives retention removing the first segment.
/// </summary>
public static class TrailIdentity
{
    /// <summary>The trail id of the trail whose active file is <paramref name="activePath"/>; null while it has no complete record.</summary>
    public static string? Of(string activePath) => TrailTail.ReadTrailId(activePath);
}
