using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Pdp.Server.Console;

/// <summary>
/// A page being written. Markup goes in through <see cref="Raw"/> (literals of this code only); everything else —
/// above all what an agent supplied — through <see cref="Text"/>, which HTML-encodes it, so a rationale containing
/// <c>&lt;script&gt;</c> stays text. Attribute values are quoted and encoded the same way.
/// </summary>
public sealed class Html
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;
    private readonly StringBuilder _out = new(8 * 1024);

    public Html Raw(string markup)
    {
        _out.Append(markup);
        return this;
    }

    public Html Text(string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            _out.Append(Encoder.Encode(text));
        }

        return this;
    }

    /// <summary><c> name="value"</c>, the value encoded.</summary>
    public Html Attr(string name, string? value) => Raw(" ").Raw(name).Raw("=\"").Text(value).Raw("\"");

    /// <summary>An element with encoded text content and optional class.</summary>
    public Html Element(string tag, string? text, string? cssClass = null)
    {
        Raw("<").Raw(tag);
        if (cssClass is not null)
        {
            Attr("class", cssClass);
        }

        return Raw(">").Text(text).Raw("</").Raw(tag).Raw(">");
    }

    /// <summary>A <c>dt</c>/<c>dd</c> pair; an empty value says so rather than leaving a blank.</summary>
    public Html Term(string term, string? value) =>
        Element("dt", term).Element("dd", string.IsNullOrEmpty(value) ? "(not given)" : value, string.IsNullOrEmpty(value) ? "missing" : null);

    /// <summary>The page around <paramref name="body"/>: one stylesheet and one script, both served by this listener.</summary>
    public static string Page(string title, string page, string? reviewer, DateTimeOffset now, Action<Html> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var html = new Html()
            .Raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Raw("<title>").Text(title).Raw(" · Pdp reviewer console</title>")
            .Raw("<link rel=\"stylesheet\" href=\"").Raw(ConsoleEndpoints.StylePath).Raw("\"><script src=\"").Raw(ConsoleEndpoints.ScriptPath).Raw("\" defer></script></head>")
            .Raw("<body").Attr("data-page", page).Attr("data-server-now", now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Raw(">")
            .Raw("<header><a class=\"brand\" href=\"/\">Pdp reviewer console</a>");
        if (reviewer is not null)
        {
            html.Raw("<span class=\"who\">Signed in as <strong id=\"reviewer\">").Text(reviewer).Raw("</strong></span>");
        }

        html.Raw("</header><main>");
        body(html);
        return html.Raw("</main></body></html>").ToString();
    }

    /// <summary>A duration as a reviewer reads it: "45 s", "12 min", "3 h 5 min", "2 d 4 h".</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalSeconds < 60 ? $"{(int)span.TotalSeconds} s"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes} min"
            : span.TotalHours < 24 ? $"{(int)span.TotalHours} h {span.Minutes} min"
            : $"{(int)span.TotalDays} d {span.Hours} h";
    }

    public static string Millis(DateTimeOffset at) => at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public override string ToString() => _out.ToString();
}
