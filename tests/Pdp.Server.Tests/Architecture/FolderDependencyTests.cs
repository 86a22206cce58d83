using System.Text.RegularExpressions;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests.Architecture;

/// <summary>
/// The server's folders depend downward only: hosting wires the concerns, a concern never reaches back up into
/// another that uses it. A cycle that comes back fails here, naming the files that make it.
/// </summary>
public sealed partial class FolderDependencyTests
{
    private static readonly string ServerProject = Path.Combine(PdpProcess.RepositoryRoot(), "src", "Pdp.Server");

    [Fact]
    public void ServerFolders_AsWritten_FormNoCycle()
    {
        var graph = FolderGraph.Read(ServerProject);

        Assert.True(graph.Edges.Count >= 10, $"only {graph.Edges.Count} folders read from {ServerProject}");
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, "folder cycles in src/Pdp.Server:\n" + string.Join("\n", cycles.Select(c => string.Join(", ", graph.Describe(c)))));
    }

    [Fact]
    public void ServerFolders_Hosting_IsUsedByNoConcern()
    {
        var graph = FolderGraph.Read(ServerProject);

        var users = graph.Edges.Where(e => e.Value.Contains("Hosting")).Select(e => $"{e.Key} ({graph.WitnessOf(e.Key, "Hosting")})").ToList();
        Assert.True(users.Count == 0, "concern folders that reach up into Hosting: " + string.Join(", ", users));
    }

    [Theory]
    [InlineData(new[] { "A>B", "B>C" }, "")]
    [InlineData(new[] { "A>B", "B>A" }, "A,B")]
    [InlineData(new[] { "A>B", "B>C", "C>A", "C>D" }, "A,B,C")]
    [InlineData(new[] { "A>B", "B>A", "C>D", "D>C" }, "A,B;C,D")]
    public void Cycles_Graph_FindsEveryLoop(string[] edges, string expected)
    {
        var graph = new FolderGraph();
        foreach (var edge in edges)
        {
            var ends = edge.Split('>');
            graph.Add(ends[0], ends[1], "test");
        }

        Assert.Equal(expected, string.Join(";", graph.Cycles().Select(c => string.Join(",", c)).Order(StringComparer.Ordinal)));
    }

    [Theory]
    [InlineData("using Pdp.Server.B;\nnamespace Pdp.Server.A;\nclass X { }", true)]
    [InlineData("namespace Pdp.Server.A;\nclass X { Pdp.Server.B.Thing t; }", true)]
    [InlineData("namespace Pdp.Server.A;\nclass X { B.Thing t; }", true)]
    [InlineData("namespace Pdp.Server.A;\n/// <see cref=\"B.Thing\"/>\nclass X { }", true)]
    [InlineData("namespace Pdp.Server.A;\nclass X { bool f = B.Contains(1); }", false)]
    [InlineData("namespace Pdp.Server.A;\nclass X { }", false)]
    public void Read_ReferenceFromAToB_MakesAnEdgeOnlyForATypeOfB(string source, bool edge)
    {
        var project = Directory.CreateTempSubdirectory("pdp-folders-");
        try
        {
            Directory.CreateDirectory(Path.Combine(project.FullName, "A"));
            Directory.CreateDirectory(Path.Combine(project.FullName, "B"));
            File.WriteAllText(Path.Combine(project.FullName, "A", "X.cs"), source);
            File.WriteAllText(Path.Combine(project.FullName, "B", "Thing.cs"), "namespace Pdp.Server.B;\npublic sealed class Thing { }");

            var graph = FolderGraph.Read(project.FullName);

            Assert.Equal(edge, graph.Edges["A"].Contains("B"));
        }
        finally
        {
            project.Delete(recursive: true);
        }
    }

    [Fact]
    public void ServerFiles_Namespace_IsProjectAndFolder()
    {
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(ServerProject, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(ServerProject, file);
            var folder = Path.GetDirectoryName(relative) ?? string.Empty;
            if (folder.Length == 0 || folder.StartsWith("bin", StringComparison.Ordinal) || folder.StartsWith("obj", StringComparison.Ordinal))
            {
                continue;
            }

            var expected = "Pdp.Server." + folder.Replace(Path.DirectorySeparatorChar, '.');
            var declared = Namespace().Match(File.ReadAllText(file));
            if (!declared.Success || declared.Groups[1].Value != expected)
            {
                wrong.Add($"{relative}: {(declared.Success ? declared.Groups[1].Value : "no namespace")}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [GeneratedRegex(@"^namespace ([A-Za-z0-9.]+);", RegexOptions.Multiline)]
    private static partial Regex Namespace();
}
