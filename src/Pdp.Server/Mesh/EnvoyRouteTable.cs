using Pdp.Server.Configuration;

namespace Pdp.Server.Mesh;

/// <summary>A route that matched: the action type it maps to, the target kind it names and the segment it captured.</summary>
public sealed record RouteMatch(string Action, string TargetKind, string? TargetId, string Method, string Pattern);

/// <summary>
/// <c>Pdp:Envoy:Routes</c>, compiled: method + path pattern → action type, first match wins. A pattern's
/// <c>*</c> matches one non-empty path segment, <c>{target}</c> matches one and captures it (percent-decoded)
/// as <c>action.target.id</c>. Paths are compared as an upstream is likely to read them, so that an encoded
/// or dotted spelling cannot slip past a route: the query is ignored, segments are percent-decoded, empty
/// segments (<c>//</c>) dropped, <c>.</c> and <c>..</c> resolved, and literal segments and methods compared
/// ignoring case.
/// </summary>
public sealed class EnvoyRouteTable
{
    private readonly Route[] _routes;

    public EnvoyRouteTable(IEnumerable<EnvoyRouteOptions> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = [.. routes.Select(r => new Route(r.Method, r.Path, Segments(r.Path, decode: false), r.Action, r.TargetKind))];
    }

    public int Count => _routes.Length;

    /// <summary>The first route matching <paramref name="method"/> and <paramref name="path"/> (without query), or null.</summary>
    public RouteMatch? Match(string method, string path)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);
        if (_routes.Length == 0)
        {
            return null;
        }

        var segments = Segments(path, decode: true);
        foreach (var route in _routes)
        {
            if (route.Method != "*" && !string.Equals(route.Method, method, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (TryMatch(route.Segments, segments, out var captured))
            {
                return new RouteMatch(route.Action, route.TargetKind, captured, route.Method, route.Pattern);
            }
        }

        return null;
    }

    /// <summary>The path as a list of segments: split on '/', empty ones dropped, dot segments resolved, optionally percent-decoded.</summary>
    public static IReadOnlyList<string> Segments(string path, bool decode)
    {
        ArgumentNullException.ThrowIfNull(path);
        var result = new List<string>();
        foreach (var raw in path.Split('/'))
        {
            var segment = decode ? Uri.UnescapeDataString(raw) : raw;
            switch (segment)
            {
                case "" or ".":
                    break;
                case "..":
                    if (result.Count > 0)
                    {
                        result.RemoveAt(result.Count - 1);
                    }

                    break;
                default:
                    result.Add(segment);
                    break;
            }
        }

        return result;
    }

    private static bool TryMatch(IReadOnlyList<string> pattern, IReadOnlyList<string> path, out string? captured)
    {
        captured = null;
        if (pattern.Count != path.Count)
        {
            return false;
        }

        for (var i = 0; i < pattern.Count; i++)
        {
            switch (pattern[i])
            {
                case "*":
                    break;
                case EnvoyRouteOptions.TargetCapture:
                    captured = path[i];
                    break;
                default:
                    if (!string.Equals(pattern[i], path[i], StringComparison.OrdinalIgnoreCase))
                    {
                        captured = null;
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    private sealed record Route(string Method, string Pattern, IReadOnlyList<string> Segments, string Action, string TargetKind);
}
