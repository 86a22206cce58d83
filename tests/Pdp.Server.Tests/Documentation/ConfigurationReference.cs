using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Pdp.Server.Configuration;

namespace Pdp.Server.Tests.Documentation;

/// <summary>
/// The settings table of <c>docs/configuration.md</c>, made from the options classes themselves: every bindable property
/// under <see cref="PdpOptions"/>, its type, the default a fresh options object has, and its XML summary. So the table
/// cannot drift from the code: a setting added, renamed or re-defaulted changes the text the test compares.
/// </summary>
public static partial class ConfigurationReference
{
    public const string Begin = "<!-- settings: generated from the options classes by ConfigurationDocTests; do not edit by hand -->";
    public const string End = "<!-- end of generated settings -->";

    /// <summary>Defaults that depend on the machine, stated as the rule instead of this machine's value.</summary>
    private static readonly Dictionary<string, string> MachineDefaults = new(StringComparer.Ordinal)
    {
        ["Pdp:InstanceId"] = "the host name",
        ["Pdp:MaxPooledEngines"] = "2 × processor count",
    };

    public static string Render()
    {
        var docs = LoadDocs(typeof(PdpOptions).Assembly, typeof(Pdp.Policies.Sandbox.SandboxOptions).Assembly);
        var text = new StringBuilder();
        text.Append(Begin).Append('\n');
        RenderSection(text, docs, PdpOptions.Section, typeof(PdpOptions), new PdpOptions(), classSummary: null);
        text.Append(End).Append('\n');
        return text.ToString();
    }

    /// <summary>Every setting key the options classes bind (list entries as <c>:N:</c>).</summary>
    public static IReadOnlyList<string> Keys()
    {
        var keys = new List<string>();
        Collect(keys, PdpOptions.Section, typeof(PdpOptions));
        return keys;
    }

    private static void Collect(List<string> keys, string prefix, Type type)
    {
        foreach (var property in Bindable(type))
        {
            var key = $"{prefix}:{property.Name}";
            if (IsSection(property.PropertyType))
            {
                Collect(keys, key, property.PropertyType);
            }
            else if (ListElement(property.PropertyType) is { } element && IsSection(element))
            {
                Collect(keys, key + ":N", element);
            }
            else
            {
                keys.Add(key);
            }
        }
    }

    private static void RenderSection(StringBuilder text, Dictionary<string, string> docs, string prefix, Type type, object? defaults, string? classSummary)
    {
        var leaves = new List<PropertyInfo>();
        var sections = new List<PropertyInfo>();
        foreach (var property in Bindable(type))
        {
            var element = ListElement(property.PropertyType);
            (IsSection(property.PropertyType) || (element is not null && IsSection(element)) ? sections : leaves).Add(property);
        }

        text.Append('\n').Append("### `").Append(prefix).Append("`\n\n");
        var summary = classSummary ?? Summary(docs, "T:" + type.FullName);
        if (summary.Length > 0)
        {
            text.Append(summary).Append("\n\n");
        }

        if (leaves.Count > 0)
        {
            text.Append("| setting | type | default | meaning |\n| --- | --- | --- | --- |\n");
            foreach (var property in leaves)
            {
                var key = $"{prefix}:{property.Name}";
                var shown = MachineDefaults.TryGetValue(key, out var rule) ? rule : Show(defaults is null ? null : property.GetValue(defaults));
                text.Append(CultureInfo.InvariantCulture, $"| `{key}` | {TypeName(property.PropertyType)} | {shown} | {Cell(Summary(docs, Member(property)))} |\n");
            }
        }

        foreach (var property in sections)
        {
            var element = ListElement(property.PropertyType);
            var own = Summary(docs, Member(property));
            if (element is null)
            {
                RenderSection(text, docs, $"{prefix}:{property.Name}", property.PropertyType, defaults is null ? null : property.GetValue(defaults), own.Length > 0 ? own : null);
            }
            else
            {
                // A list of objects: each entry N (0, 1, …) takes these settings; a fresh entry shows the defaults.
                RenderSection(text, docs, $"{prefix}:{property.Name}:N", element, Activator.CreateInstance(element), own.Length > 0 ? own : null);
            }
        }
    }

    private static IEnumerable<PropertyInfo> Bindable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.SetMethod?.IsPublic == true || IsCollection(p.PropertyType)))
            .OrderBy(p => p.MetadataToken);

    private static bool IsSection(Type type) =>
        type.IsClass && type != typeof(string) && !IsCollection(type) && type.Namespace is { } ns && ns.StartsWith("Pdp.", StringComparison.Ordinal);

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);

    private static Type? ListElement(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var definition && (definition == typeof(IList<>) || definition == typeof(List<>))
            ? type.GetGenericArguments()[0]
            : null;

    private static string TypeName(Type type)
    {
        var inner = Nullable.GetUnderlyingType(type);
        if (inner is not null)
        {
            return TypeName(inner) + " (optional)";
        }

        if (ListElement(type) is { } element)
        {
            return "list of " + TypeName(element);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>))
        {
            return "map of " + TypeName(type.GetGenericArguments()[1]);
        }

        return type == typeof(string) ? "string"
            : type == typeof(bool) ? "bool"
            : type == typeof(int) || type == typeof(long) ? "integer"
            : type == typeof(double) ? "number"
            : type.Name;
    }

    private static string Show(object? value) => value switch
    {
        null => "unset",
        string { Length: 0 } => "empty",
        string s => $"`{s}`",
        bool b => b ? "`true`" : "`false`",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        IDictionary { Count: 0 } => "empty",
        IEnumerable e when !e.Cast<object>().Any() => "empty",
        IEnumerable e => string.Join(", ", e.Cast<object>().Select(v => $"`{v}`")),
        _ => $"`{value}`",
    };

    private static string Member(PropertyInfo property) => $"P:{property.DeclaringType!.FullName}.{property.Name}";

    private static Dictionary<string, string> LoadDocs(params Assembly[] assemblies)
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var assembly in assemblies.Distinct())
        {
            var path = Path.ChangeExtension(assembly.Location, ".xml");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"the XML documentation of {assembly.GetName().Name} is not beside it (GenerateDocumentationFile)", path);
            }

            foreach (var member in XDocument.Load(path).Descendants("member"))
            {
                if (member.Attribute("name")?.Value is { } name && member.Element("summary") is { } summary)
                {
                    docs[name] = Plain(summary);
                }
            }
        }

        return docs;
    }

    private static string Summary(Dictionary<string, string> docs, string member) => docs.TryGetValue(member, out var text) ? text : string.Empty;

    /// <summary>An XML summary as one line of Markdown: <c>code</c> in backticks, references by their last name.</summary>
    private static string Plain(XElement summary)
    {
        var text = new StringBuilder();
        foreach (var node in summary.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "c" } c => $"`{c.Value}`",
                XElement { Name.LocalName: "see" or "seealso" } see => see.Attribute("langword")?.Value is { } word
                    ? $"`{word}`"
                    : $"`{LastName(see.Attribute("cref")?.Value ?? see.Attribute("href")?.Value ?? see.Value)}`",
                XElement { Name.LocalName: "paramref" or "typeparamref" } p => $"`{p.Attribute("name")?.Value}`",
                XElement e => Plain(e),
                _ => string.Empty,
            });
        }

        return Whitespace().Replace(text.ToString(), " ").Trim();
    }

    private static string LastName(string cref)
    {
        var name = cref.Contains(':', StringComparison.Ordinal) ? cref[(cref.IndexOf(':', StringComparison.Ordinal) + 1)..] : cref;
        var paren = name.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
        {
            name = name[..paren];
        }

        return name[(name.LastIndexOf('.') + 1)..];
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
