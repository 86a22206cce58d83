namespace Pdp.TestSupport;

/// <summary>Where the checkout is, found from the test binaries' directory, and what ships in it.</summary>
public static class Repository
{
    private static readonly Lazy<string> FoundRoot = new(Find);

    /// <summary>The checkout's root (where Pdp.sln is).</summary>
    public static string Root => FoundRoot.Value;

    /// <summary>The shipped policy set, <c>policies/</c>.</summary>
    public static string ShippedPolicies => Path.Combine(Root, "policies");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pdp.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Pdp.sln not found above " + AppContext.BaseDirectory);
    }
}
