/** Nest's injection token for the AppConfig of @carepath/runtime. */
export const APP_CONFIG = Symbol('APP_CONFIG');
