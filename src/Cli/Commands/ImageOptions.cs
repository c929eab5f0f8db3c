using System.CommandLine;
using DurableTrainer.Cli.Client;

namespace DurableTrainer.Cli.Commands;

/// <summary>The <c>-o file.png --width --height</c> options every plotting command takes, checked in one place.</summary>
internal sealed record ImageOptions(Option<FileInfo> Output, Option<int> Width, Option<int> Height)
{
    public static ImageOptions Create() => new(
        new Option<FileInfo>("--output", "-o") { Description = "The PNG file to write.", Required = true, HelpName = "file.png" },
        new Option<int>("--width") { Description = "Width in pixels.", DefaultValueFactory = _ => 1200 },
        new Option<int>("--height") { Description = "Height in pixels.", DefaultValueFactory = _ => 700 });

    public IEnumerable<Option> All => [Output, Width, Height];

    public (FileInfo Target, int Width, int Height) Read(ParseResult parseResult)
    {
        int width = parseResult.GetValue(Width);
        int height = parseResult.GetValue(Height);
        if (width is < 200 or > 10_000 || height is < 150 or > 10_000)
        {
            throw CliException.Usage("--width must be 200-10000 and --height 150-10000 pixels.");
        }

        return (parseResult.GetValue(Output)!, width, height);
    }
}
