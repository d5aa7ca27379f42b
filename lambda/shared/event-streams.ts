/*
 * The handlers' bundles use this in place of @smithy/core/event-streams (an esbuild alias in .projenrc.ts):
 * no operation they call streams events, though @smithy/core's HTTP protocol imports it; using it throws.
 */
import type { EventStreamSerdeProvider } from '@smithy/types';

function notBundled(): never {
  throw new Error('@smithy/core/event-streams is not in this bundle: no operation the handlers call streams events');
}

export const eventStreamSerdeProvider: EventStreamSerdeProvider = () => ({ serialize: notBundled, deserialize: notBundled });

export const resolveEventStreamSerdeConfig = <T extends { eventStreamSerdeProvider: EventStreamSerdeProvider }>(input: T) =>
  Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}
