/** Shared chart styling: one palette and typography for every chart option builder. */
export const CHART_FONT =
  "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

export const SERIES_COLORS = ['#3c6fc4', '#d9822b', '#2f9e6e', '#b8455b', '#7a5cc4', '#5b7083'];

export const AXIS_STYLE = {
  axisLine: { lineStyle: { color: '#9aa5b4' } },
  axisLabel: { color: '#4a5566', fontSize: 11 },
  splitLine: { lineStyle: { color: '#eceff3' } },
  nameTextStyle: { color: '#4a5566', fontSize: 11 },
};

export const GRID = { left: 52, right: 16, top: 34, bottom: 36, containLabel: false };
