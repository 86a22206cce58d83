using System.Globalization;

namespace Pdp.Review.Events;

/// <summary>Times as the trail's payloads write them: UTC, ISO 8601, a fixed number of fractional digits.</summary>
public static class EventTime
{
    /// <summary>Seven fractional digits: a DateTimeOffset's full precision, so a time read back compares equal.</summary>
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A timestamp as protobuf's JSON form writes it (0, 3, 6 or 9 fractional digits), which the <c>response</c>
    /// part of decision records has always used; kept so records written now match those written before.
    /// </summary>
    public static string FormatProtobuf(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var ticks = utc.Ticks % TimeSpan.TicksPerSecond;
        var whole = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (ticks == 0)
        {
            return whole + "Z";
        }

        if (ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            return $"{whole}.{ticks / TimeSpan.TicksPerMillisecond:000}Z";
        }

        return ticks % TimeSpan.TicksPerMicrosecond == 0
            ? $"{whole}.{ticks / TimeSpan.TicksPerMicrosecond:000000}Z"
            : $"{whole}.{ticks * 100:000000000}Z";
    }

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
