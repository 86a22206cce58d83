using Jint.Runtime;

namespace Pdp.Policies.Sandbox;

/// <summary>
/// Jint's time source, pinned to the decision's own time. <c>Date.now()</c> and <c>new Date()</c> then
/// answer the same in production, in <c>pdp test</c> and in a replay, which is what makes replay honest.
/// One clock per engine; engines are used by one thread at a time.
/// </summary>
internal sealed class DecisionClock : ITimeSystem
{
    private readonly DefaultTimeSystem _calendar = new(TimeZoneInfo.Utc, System.Globalization.CultureInfo.InvariantCulture);

    public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;

    public TimeZoneInfo DefaultTimeZone => TimeZoneInfo.Utc;

    public DateTimeOffset GetUtcNow() => Now;

    public TimeSpan GetUtcOffset(long epochMilliseconds) => TimeSpan.Zero;

    public bool TryParse(string date, out long epochMilliseconds) => _calendar.TryParse(date, out epochMilliseconds);
}
