using System.Globalization;

namespace Pdp.Evaluation.Results;

/// <summary>Durations as policies write them: <c>90s</c>, <c>30m</c>, <c>4h</c>, <c>2d</c>, <c>500ms</c>.</summary>
public static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || text.Length > 16)
        {
            return false;
        }

        var unitStart = 0;
        while (unitStart < text.Length && char.IsAsciiDigit(text[unitStart]))
        {
            unitStart++;
        }

        if (unitStart == 0 || !long.TryParse(text.AsSpan(0, unitStart), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        double? seconds = text[unitStart..] switch
        {
            "ms" => amount / 1000.0,
            "s" => amount,
            "m" => amount * 60.0,
            "h" => amount * 3600.0,
            "d" => amount * 86400.0,
            _ => null,
        };
        if (seconds is null or > 366 * 86400.0)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds.Value);
        return true;
    }
}
