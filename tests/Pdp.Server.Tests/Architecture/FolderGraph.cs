using System.Text.RegularExpressions;

namespace Pdp.Server.Tests.Architecture;

/// <summary>
/// Which concern folders of <c>src/Pdp.Server</c> refer to which, read from the source: a <c>using Pdp.Server.X</c>
/// or a qualified <c>Pdp.Server.X.</c> name (in code or a doc reference) makes the file's folder depend on X.
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
        var graph = new FolderGraph();
        foreach (var file in Directory.EnumerateFiles(projectDir, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(projectDir, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Length < 2 || parts[0] is "bin" or "obj")
            {
                continue; // Program.cs at the root is the top: nothing depends on it.
            }

            var folder = parts[0];
            graph.AddNode(folder);
            foreach (Match match in Reference().Matches(File.ReadAllText(file)))
            {
                graph.Add(folder, match.Groups[1].Value, relative);
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
}
