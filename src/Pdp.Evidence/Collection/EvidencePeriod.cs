using System.Globalization;

namespace Pdp.Evidence.Collection;

/// <summary>
/// How a report's period bounds are written: a date (<c>2026-12-01</c>, midnight UTC) or an ISO 8601 time (UTC unless
/// it names an offset). A date as the end includes that whole day, so <c>--to 2026-12-31</c> covers December 31st.
/// </summary>
public static class EvidencePeriod
{
    /// <summary>The instant <paramref name="text"/> names, the next midnight for a date when <paramref name="end"/>; false when it is neither form.</summary>
    public static bool TryParse(string text, bool end, out DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            time = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(end ? 1 : 0);
            return true;
        }

        // A time must say it is one (the T): "12/01/2026" or "Dec 1" would be read by culture-free guessing.
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
            && text.Contains('T', StringComparison.Ordinal);
    }
}
