"""airbyte-source-clockify 0.3.13 (Airbyte): a declarative data-pipeline connector that pages
every stream (``page``/``page-size``) and partitions time entries by user and tasks by
project. Its manifest hard-codes ``url_base``; the driver loads the package's own manifest,
sets that one documented field to the mock and runs it with the CDK's ``ManifestDeclarativeSource``
(the connector's ``SourceClockify`` is that class over the same file). Each stream's records
are checked against the connector's own JSON schema, as a destination would rely on them."""

import logging
from pathlib import Path

import jsonschema
import source_clockify
import yaml
from _steps import Steps, check, main
from airbyte_cdk.models import (
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    SyncMode,
    Type,
)
from airbyte_cdk.sources.declarative.manifest_declarative_source import ManifestDeclarativeSource


def drive(steps: Steps) -> None:
    logger = logging.getLogger("airbyte")
    logger.setLevel(logging.ERROR)
    manifest = yaml.safe_load((Path(source_clockify.__file__).parent / "manifest.yaml").read_text())
    manifest["definitions"]["base_requester"]["url_base"] = steps.api + "/"
    source = ManifestDeclarativeSource(source_config=manifest)
    import requests

    me = requests.get(steps.api + "/user", headers={"X-Api-Key": steps.key}, timeout=30).json()
    config = {"api_key": steps.key, "workspace_id": me["activeWorkspace"]}

    def connection() -> None:
        ok, error = source.check_connection(logger, config)
        check(ok, f"check failed: {error}")

    steps.run("check connection", connection)
    catalog = steps.run("discover", lambda: source.discover(logger, config))
    if catalog is None:
        return
    for stream in catalog.streams:
        configured = ConfiguredAirbyteCatalog(
            streams=[
                ConfiguredAirbyteStream(
                    stream=stream,
                    sync_mode=SyncMode.full_refresh,
                    destination_sync_mode=DestinationSyncMode.overwrite,
                )
            ]
        )

        def read(stream=stream, configured=configured) -> list:
            records, errors = [], []
            for message in source.read(logger, config, configured, state=None):
                if message.type == Type.RECORD:
                    records.append(message.record.data)
                elif message.type == Type.TRACE and message.trace.error:
                    errors.append(message.trace.error.message)
            check(not errors, "; ".join(errors)[:300])
            check(records, "no records")
            return records

        records = steps.run(f"read {stream.name}", read) or []

        def conforms(stream=stream, records=records) -> None:
            validator = jsonschema.Draft7Validator(stream.json_schema)
            for record in records:
                error = next(iter(validator.iter_errors(record)), None)
                check(
                    error is None,
                    f"{'.'.join(map(str, error.path)) if error else ''}: "
                    f"{error.message if error else ''}"[:300],
                )

        steps.run(
            f"{stream.name} records match the connector's schema", conforms, f"read {stream.name}"
        )


main(drive)
