using System.Globalization;
using System.Text.Json.Nodes;

namespace Pdp.Audit.Redaction;

/// <summary>
/// Masks secrets in a payload before it is appended, the way OPA's decision-log masking does: the value stays
/// visibly present but reads <c>"***"</c>. The trail hashes the masked form, so masking must happen before appending.
/// </summary>
public static class AuditRedactor
{
    /// <summary>The replacement for every masked value.</summary>
    public const string MaskValue = "***";

    /// <summary>
    /// Returns a deep copy of <paramref name="payload"/> in which every value present at one of <paramref name="paths"/>
    /// is replaced by <see cref="MaskValue"/>; the input is never changed.
    /// <para>
    /// A path is a dotted list of member names from the payload root, e.g. <c>request.action.parameters.password</c>.
    /// A <c>*</c> segment matches every member of an object or every element of an array at that level
    /// (<c>request.action.parameters.*</c>); on an array, a segment that is a non-negative integer picks that element.
    /// A path that leads nowhere is ignored. Member names that contain a dot cannot be addressed.
    /// </para>
    /// </summary>
    /// <exception cref="ArgumentException">A path is empty or has an empty segment.</exception>
    public static JsonObject Mask(JsonObject payload, IReadOnlyCollection<string> paths)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(paths);
        var parsed = new List<string[]>(paths.Count);
        foreach (var path in paths)
        {
            // Validate every path before doing anything, so a typo fails loudly instead of leaving a secret unmasked.
            var segments = string.IsNullOrEmpty(path) ? [] : path.Split('.');
            if (segments.Length == 0 || Array.Exists(segments, static s => s.Length == 0))
            {
                throw new ArgumentException($"Mask path '{path}' is empty or has an empty segment.", nameof(paths));
            }

            parsed.Add(segments);
        }

        var copy = payload.DeepClone().AsObject();
        foreach (var segments in parsed)
        {
            Apply(copy, segments, 0);
        }

        return copy;
    }

    private static void Apply(JsonNode node, string[] segments, int index)
    {
        var segment = segments[index];
        var last = index == segments.Length - 1;
        switch (node)
        {
            case JsonObject obj:
                if (segment == "*")
                {
                    // Snapshot the keys: masking replaces values while we walk.
                    foreach (var key in obj.Select(static m => m.Key).ToArray())
                    {
                        Step(obj, key, segments, index, last);
                    }
                }
                else if (obj.ContainsKey(segment))
                {
                    Step(obj, segment, segments, index, last);
                }

                break;
            case JsonArray array:
                if (segment == "*")
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        Step(array, i, segments, index, last);
                    }
                }
                else if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position < array.Count)
                {
                    Step(array, position, segments, index, last);
                }

                break;
            default:
                // A scalar has no members: the rest of the path leads nowhere.
                break;
        }
    }

    private static void Step(JsonObject obj, string key, string[] segments, int index, bool last)
    {
        if (last)
        {
            obj[key] = MaskValue;
        }
        else if (obj[key] is { } child)
        {
            Apply(child, segments, index + 1);
        }
    }

    private static void Step(JsonArray array, int position, string[] segments, int index, bool last)
    {
        if (last)
        {
            array[position] = MaskValue;
        }
        else if (array[position] is { } child)
        {
            Apply(child, segments, index + 1);
        }
    }
}
