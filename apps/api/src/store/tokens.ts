export const EVENT_STORE = Symbol('EVENT_STORE');
export const CLOCK = Symbol('CLOCK');
/** The shell's only clock: the pure core never reads time (brief, rule 1). */
export type Clock = () => Date;
