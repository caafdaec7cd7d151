export {
  CHANGE_TYPES,
  dailyChartPng,
  dailyChartSvg,
  type DailyChartInput,
  type HourlyCount,
} from './daily.js';
export { renderPng } from './render.js';
