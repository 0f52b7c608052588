package dev.zeroshard.cli;

import picocli.CommandLine;

/** The version of the zeroshard build, read from the jar's manifest. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        final String version = ZeroshardCli.class.getPackage().getImplementationVersion();
        return new String[] {"zeroshard " + (version == null ? "(development build)" : version)};
    }
}
