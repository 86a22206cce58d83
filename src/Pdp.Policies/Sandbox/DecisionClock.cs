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

    /// <summary>
    /// When set, reading the clock (<c>Date.now()</c>, <c>new Date()</c>) throws what this returns instead of answering:
    /// for policies that declare <c>cacheable: true</c>, whose answers must not depend on when they are asked.
    /// </summary>
    public Func<Exception>? Refusal { get; set; }

    public TimeZoneInfo DefaultTimeZone => TimeZoneInfo.Utc;

    public DateTimeOffset GetUtcNow() => Refusal is { } refuse ? throw refuse() : Now;

    public TimeSpan GetUtcOffset(long epochMilliseconds) => TimeSpan.Zero;

    public bool TryParse(string date, out long epochMilliseconds) => _calendar.TryParse(date, out epochMilliseconds);
}
