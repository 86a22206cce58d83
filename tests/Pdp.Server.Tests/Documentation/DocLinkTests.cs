using Markdig;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Xunit;

namespace Pdp.Server.Tests.Documentation;

/// <summary>
/// Every relative link and image in README.md and docs/ resolves: the file exists, and an anchor names a heading of
/// the page it points at (GitHub's heading ids). Links are read with a CommonMark parser, so examples inside code
/// blocks are not links.
/// </summary>
public sealed class DocLinkTests
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAdvancedExtensions()
        .UseAutoIdentifiers(Markdig.Extensions.AutoIdentifiers.AutoIdentifierOptions.GitHub)
        .Build();

    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string> { "README.md" };
        foreach (var page in Directory.EnumerateFiles(Path.Combine(Repository.Root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            pages.Add(Path.GetRelativePath(Repository.Root, page));
        }

        return pages;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Links_RelativeTargets_Resolve(string page)
    {
        var path = Path.Combine(Repository.Root, page);
        var broken = new List<string>();
        foreach (var link in Parse(path).Descendants<LinkInline>())
        {
            var url = link.Url ?? string.Empty;
            if (url.Length == 0 || url.Contains("://", StringComparison.Ordinal) || url.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var hash = url.IndexOf('#', StringComparison.Ordinal);
            var (file, anchor) = hash >= 0 ? (url[..hash], url[(hash + 1)..]) : (url, string.Empty);
            var target = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));
            if (!File.Exists(target) && !Directory.Exists(target))
            {
                broken.Add($"{url}: {Path.GetRelativePath(Repository.Root, target)} does not exist");
            }
            else if (anchor.Length > 0 && target.EndsWith(".md", StringComparison.Ordinal) && !HeadingIds(target).Contains(anchor))
            {
                broken.Add($"{url}: no heading #{anchor} in {Path.GetRelativePath(Repository.Root, target)}");
            }
        }

        Assert.True(broken.Count == 0, $"{page}:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void Readme_FrontPage_IsShortAndLinksEveryDoc()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var linked = Parse(Path.Combine(Repository.Root, "README.md")).Descendants<LinkInline>().Select(l => l.Url).ToHashSet(StringComparer.Ordinal);

        Assert.True(readme.Length <= 10 * 1024, $"README.md is {readme.Length} bytes; the front page stays within 10 KB, details go to docs/");
        var docs = Directory.EnumerateFiles(Path.Combine(Repository.Root, "docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f));
        Assert.All(docs, doc => Assert.Contains(doc, linked));
    }

    [Fact]
    public void Links_MissingFileAndAnchor_AreBothFound()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-links-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "b.md"), "# Title\n\n## Some section\n");
            var page = Path.Combine(dir.FullName, "a.md");
            File.WriteAllText(page, "[ok](b.md#some-section) [gone](c.md) [no anchor](b.md#other) `[code](x.md)`\n");

            var urls = Parse(page).Descendants<LinkInline>().Select(l => l.Url).ToList();

            Assert.Equal(["b.md#some-section", "c.md", "b.md#other"], urls);
            Assert.Contains("some-section", HeadingIds(Path.Combine(dir.FullName, "b.md")));
            Assert.DoesNotContain("other", HeadingIds(Path.Combine(dir.FullName, "b.md")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static MarkdownDocument Parse(string path) => Markdown.Parse(File.ReadAllText(path), Pipeline);

    private static HashSet<string> HeadingIds(string path) =>
        Parse(path).Descendants<HeadingBlock>().Select(h => h.GetAttributes().Id).OfType<string>().ToHashSet(StringComparer.Ordinal);
}
