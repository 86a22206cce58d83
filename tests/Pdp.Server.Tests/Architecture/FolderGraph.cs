using System.Text.RegularExpressions;

namespace Pdp.Server.Tests.Architecture;

/// <summary>
/// Which concern folders of <c>src/Pdp.Server</c> refer to which, read from the source: a <c>using Pdp.Server.X</c>,
/// a qualified <c>Pdp.Server.X.</c> name, or a name qualified from inside the project (<c>X.SomeType</c>, where X is a
/// folder declaring SomeType), in code or a doc reference, makes the file's folder depend on X.
/// </summary>
public sealed partial class FolderGraph
{
    private readonly Dictionary<string, SortedSet<string>> _edges = new(StringComparer.Ordinal);
    private readonly Dictionary<(string From, string To), string> _witness = [];

    public IReadOnlyDictionary<string, SortedSet<string>> Edges => _edges;

    /// <summary>A file that makes <paramref name="from"/> depend on <paramref name="to"/>, for the failure message.</summary>
    public string WitnessOf(string from, string to) => _witness.TryGetValue((from, to), out var file) ? file : "?";

    public static FolderGraph Read(string projectDir)
    {
        var files = new List<(string Folder, string Relative, string Text)>();
        foreach (var file in Directory.EnumerateFiles(projectDir, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(projectDir, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Length < 2 || parts[0] is "bin" or "obj")
            {
                continue; // Program.cs at the root is the top: nothing depends on it.
            }

            files.Add((parts[0], relative, File.ReadAllText(file)));
        }

        // The types each folder declares, so that "Identity.SpiffeId" counts and "Policies.Contains" (a member) does not.
        var declared = files
            .GroupBy(f => f.Folder, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.SelectMany(f => Declaration().Matches(f.Text).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var graph = new FolderGraph();
        foreach (var (folder, relative, text) in files)
        {
            graph.AddNode(folder);
            foreach (Match match in Reference().Matches(text))
            {
                graph.Add(folder, match.Groups[1].Value, relative);
            }

            foreach (Match match in RelativeReference().Matches(text))
            {
                var (target, type) = (match.Groups[1].Value, match.Groups[2].Value);
                if (declared.TryGetValue(target, out var types) && types.Contains(type))
                {
                    graph.Add(folder, target, relative);
                }
            }
        }

        return graph;
    }

    public void AddNode(string folder) => _edges.TryAdd(folder, new SortedSet<string>(StringComparer.Ordinal));

    public void Add(string from, string to, string witness)
    {
        AddNode(from);
        AddNode(to);
        if (from != to && _edges[from].Add(to))
        {
            _witness[(from, to)] = witness;
        }
    }

    /// <summary>Every set of folders that reach each other (Tarjan's strongly connected components of size > 1).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = 0;
        var indices = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<IReadOnlyList<string>>();

        void Visit(string node)
        {
            indices[node] = low[node] = index++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in _edges[node])
            {
                if (!indices.TryGetValue(next, out var seen))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], seen);
                }
            }

            if (low[node] == indices[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    cycles.Add(component);
                }
            }
        }

        foreach (var node in _edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!indices.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return cycles;
    }

    /// <summary>The edges inside one cycle, each with a file that makes it, e.g. <c>Auditing -> Metrics (Auditing/DecisionRecorder.cs)</c>.</summary>
    public IEnumerable<string> Describe(IReadOnlyList<string> cycle) =>
        from source in cycle
        from target in _edges[source]
        where cycle.Contains(target)
        select $"{source} -> {target} ({WitnessOf(source, target)})";

    [GeneratedRegex(@"\bPdp\.Server\.([A-Z][A-Za-z0-9]*)\b")]
    private static partial Regex Reference();

    [GeneratedRegex(@"(?<![\w.])([A-Z][A-Za-z0-9]*)\.([A-Z][A-Za-z0-9]*)\b")]
    private static partial Regex RelativeReference();

    [GeneratedRegex(@"\b(?:class|record|interface|enum|struct)\s+([A-Z][A-Za-z0-9]*)")]
    private static partial Regex Declaration();
}
